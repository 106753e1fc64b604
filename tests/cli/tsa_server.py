#!/usr/bin/env python3
"""A tiny RFC 3161 time-stamping authority for the tests: HTTP on
127.0.0.1 (a free port, written to PORTFILE), each POSTed request answered
by `openssl ts -reply` (OpenSSL's own TSA) with CONF.  MODE: good | garbage
(random bytes) | other (the reply to a different request).  It stops by
itself after LIFETIME seconds or 50 requests."""
import http.server, os, subprocess, sys, tempfile, threading

portfile, conf, mode, lifetime = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
served = 0


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global served
        served += 1
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with tempfile.TemporaryDirectory() as d:
            q, r = os.path.join(d, "q.tsq"), os.path.join(d, "r.tsr")
            if mode == "other":
                subprocess.run(["openssl", "ts", "-query", "-data", conf, "-sha256",
                                "-cert", "-out", q], check=True, capture_output=True)
            else:
                open(q, "wb").write(body)
            subprocess.run(["openssl", "ts", "-reply", "-config", conf, "-queryfile", q,
                            "-out", r], check=True, capture_output=True)
            out = open(r, "rb").read() if mode != "garbage" else os.urandom(300)
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
        if served >= 50:
            threading.Thread(target=self.server.shutdown).start()

    def log_message(self, *a):
        pass


s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(portfile + ".tmp", "w").write(str(s.server_address[1]))
os.rename(portfile + ".tmp", portfile)
threading.Timer(lifetime, s.shutdown).start()
s.serve_forever()
