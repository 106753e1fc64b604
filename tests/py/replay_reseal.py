#!/usr/bin/env python3
"""A forger's tool for the spot-check tests: after a replay's files were
tampered with, make every digest agree again, so that only re-running a
segment can tell.  Recomputes, in DIR/checkpoints/index.json, each entry's
log offset (the end of that step's last row), the log prefix's SHA-256 and
each checkpoint file's SHA-256; then, in DIR/summary.json, the index's
digest, the log's digest, the last checkpoint's weights digest and the
figures of the first and last evaluation rows.

usage: replay_reseal.py DIR [--keep-offsets] [--recipe-digest HEX]
  --keep-offsets     leave log_bytes as they are (only redigest)
  --recipe-digest H  write H as the index's recipe digest
  --drop-step N      remove the entry of step N (and its directory)
  --swap I J         swap entries I and J of the index
"""
import hashlib
import json
import os
import shutil
import sys


def sha(data):
    return hashlib.sha256(data).hexdigest()


def main(argv):
    d = argv[1]
    args = argv[2:]
    keep = "--keep-offsets" in args
    ixp = os.path.join(d, "checkpoints", "index.json")
    ix = json.load(open(ixp))
    if "--recipe-digest" in args:
        ix["recipe_digest"] = args[args.index("--recipe-digest") + 1]
    if "--drop-step" in args:
        n = int(args[args.index("--drop-step") + 1])
        ix["checkpoints"] = [c for c in ix["checkpoints"] if c["step"] != n]
        shutil.rmtree(os.path.join(d, "checkpoints", "step-%06d" % n))
    log = open(os.path.join(d, "log.jsonl"), "rb").read()
    rows = log.split(b"\n")
    for c in ix["checkpoints"]:
        if not keep:
            # the end of the last row of this step (grpo or eval)
            off, end = 0, None
            for r in rows:
                off += len(r) + 1
                if not r:
                    continue
                o = json.loads(r)
                if o["type"] != "sft" and o["step"] == c["step"]:
                    end = off
            c["log_bytes"] = end
        c["log_sha256"] = sha(log[: c["log_bytes"]])
        sd = os.path.join(d, "checkpoints", "step-%06d" % c["step"])
        for name in list(c["files"]):
            c["files"][name] = sha(open(os.path.join(sd, name), "rb").read())
    if "--swap" in args:
        i = int(args[args.index("--swap") + 1])
        j = int(args[args.index("--swap") + 2])
        cs = ix["checkpoints"]
        cs[i], cs[j] = cs[j], cs[i]
    data = json.dumps(ix, indent=2).encode() + b"\n"
    open(ixp, "wb").write(data)
    sp = os.path.join(d, "summary.json")
    s = json.load(open(sp))
    s["checkpoints_index_sha256"] = sha(data)
    s["checkpoints"] = len(ix["checkpoints"])
    s["log_sha256"] = sha(log)
    s["weights_sha256"] = ix["checkpoints"][-1]["files"]["model.safetensors"]
    if "recipe_digest" in s:
        s["recipe_digest"] = ix["recipe_digest"]
    evals = [json.loads(r) for r in rows if r and b'"eval"' in r]
    s["accuracy_after_warmstart"] = evals[0]["accuracy"]
    s["accuracy_final"] = evals[-1]["accuracy"]
    s["eval_reward_final"] = evals[-1]["reward_mean"]
    open(sp, "w").write(json.dumps(s, indent=2) + "\n")
    if os.path.exists(os.path.join(d, "model.safetensors")):
        last = ix["checkpoints"][-1]
        shutil.copyfile(
            os.path.join(d, "checkpoints", "step-%06d" % last["step"], "model.safetensors"),
            os.path.join(d, "model.safetensors"),
        )


if __name__ == "__main__":
    main(sys.argv)
