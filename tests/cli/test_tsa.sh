#!/usr/bin/env bash
# RFC 3161 timestamps: pack --sign --tsa, sign --tsa, verify --tsa-cert
# (offline, OpenSSL TS API) and --require-timestamp, against OpenSSL's own
# TSA (`openssl ts -reply`) behind a tiny HTTP responder on 127.0.0.1 that
# the test starts and stops, with a test CA made here.
. "$(dirname "$0")/lib.sh"
R=$REFEREE
PY=${PYTHON:-python3}
cd "$T"
# ---- a test CA and TSA certificates ---------------------------------------
mkca() { # NAME: a root CA
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
    -keyout "$1.key" -out "$1.pem" -days 30 -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign 2>/dev/null
}
mkca root; mkca otherroot
printf 'extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n' > tsa.ext
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=test-tsa -keyout tsa.key -out tsa.csr 2>/dev/null
openssl x509 -req -in tsa.csr -CA root.pem -CAkey root.key -CAcreateserial -days 10 -extfile tsa.ext -out tsa.pem 2>/dev/null
# an expired TSA certificate (valid in 2020 only), through `openssl ca`
mkdir -p ca/newcerts; : > ca/index.txt; echo 01 > ca/serial
cat > ca.cnf <<CNF
[ ca ]
default_ca = c
[ c ]
dir = ca
database = ca/index.txt
new_certs_dir = ca/newcerts
serial = ca/serial
default_md = sha256
policy = p
copy_extensions = none
unique_subject = no
[ p ]
commonName = supplied
[ x ]
extendedKeyUsage = critical,timeStamping
keyUsage = critical,digitalSignature
CNF
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=old-tsa -keyout old.key -out old.csr 2>/dev/null
openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in old.csr -out old.pem \
  -startdate 20200101000000Z -enddate 20200201000000Z -extensions x 2>/dev/null >/dev/null
tsaconf() { # NAME CERT KEY
  cat > "$1.cnf" <<CNF
[ tsa ]
default_tsa = t
[ t ]
serial = $T/$1.serial
crypto_device = builtin
signer_cert = $T/$2
certs = $T/$2
signer_key = $T/$3
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
  echo 01 > "$T/$1.serial"
}
tsaconf good tsa.pem tsa.key
tsaconf old old.pem old.key
PIDS=""
serve() { # MODE CONF: start a responder, URL in $URL
  rm -f port
  $PY "$TESTS_DIR/cli/tsa_server.py" port "$2" "$1" 120 &
  PIDS="$PIDS $!"
  for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
  URL="http://127.0.0.1:$(cat port)/tsa"
}
stop_all() { for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; PIDS=""; }
trap 'stop_all; rm -rf "$T"' EXIT

mkdir src; echo evidence > src/a.txt
$R keygen ed --no-passphrase >/dev/null 2>&1
$R keygen rev --no-passphrase >/dev/null 2>&1
serve good good.cnf; GOOD=$URL
expect_exit "pack --sign --tsa" 0 $R pack b src --sign ed.key --tsa "$GOOD"
expect_true "timestamps beside the envelope" test -s b/referee/attestation.timestamps.json
expect_true "and in the Sigstore bundle" $PY -c "
import json; b = json.load(open('b/referee/attestation.sigstore.json'))
assert b['verificationMaterial']['timestampVerificationData']['rfc3161Timestamps'][0]['signedTimestamp']"
expect_true "openssl ts -verify agrees (imprint = SHA-256 of the signature bytes)" bash -c "
$PY -c \"import json,base64,sys; d=json.load(open('b/referee/attestation.timestamps.json'))[0]; open('t.tsr','wb').write(base64.b64decode(d['rfc3161'])); e=json.load(open('b/referee/attestation.dsse.json')); open('sig.bin','wb').write(base64.b64decode(e['signatures'][0]['sig']))\" &&
openssl ts -verify -in t.tsr -data sig.bin -CAfile root.pem >/dev/null 2>&1"
expect_exit "verify --tsa-cert" 0 $R verify b --trust ed.pub --tsa-cert root.pem
expect_out_match "time reported" "timestamps: 1 verified against 'root.pem'; signed no later than 20[0-9-]+T"
expect_exit "verify --tsa-cert --require-timestamp" 0 $R verify b --trust ed.pub --tsa-cert root.pem --require-timestamp
expect_exit "another root: the timestamp fails the bag" 1 $R verify b --trust ed.pub --tsa-cert otherroot.pem
expect_err_match "reason" "timestamp 1 .*does not verify against 'otherroot.pem'"
expect_exit "Python bagit validates the timestamped bag" 0 $PY -c "import bagit; bagit.Bag('b').validate()"
run $R verify b --trust ed.pub
expect_out_match "without --tsa-cert the timestamps are an unchecked extra" "extra: +'referee/attestation.timestamps.json': RFC 3161 timestamps, not checked"
# The Sigstore bundle carries exactly the timestamps verify checks.
cp -r b tvd
$PY - <<'PYEOF'
import json
p = 'tvd/referee/attestation.sigstore.json'
b = json.load(open(p))
b['verificationMaterial']['timestampVerificationData']['rfc3161Timestamps'].append({'signedTimestamp': 'AAAA'})
open(p, 'w').write(json.dumps(b))
PYEOF
$PY "$TESTS_DIR/cli/retag.py" tvd
expect_exit "a timestamp in the Sigstore bundle that verify does not check fails" 1 $R verify tvd --trust ed.pub
expect_err_match "reason" "is not a Sigstore bundle v0.3 of the same envelope"
expect_exit "check of that bag fails too (rf_bundle_verify)" 1 $R check tvd
# a bag without timestamps
$R pack plain src --sign ed.key --source-organization other >/dev/null 2>&1
expect_exit "no timestamp: passes without --require-timestamp" 0 $R verify plain --trust ed.pub --tsa-cert root.pem
expect_exit "no timestamp: fails with --require-timestamp" 1 $R verify plain --trust ed.pub --tsa-cert root.pem --require-timestamp
expect_err_match "reason" "no trusted timestamp"
# the imprint of another signature: b's timestamp moved onto plain's signature
cp -r plain moved; cp b/referee/attestation.timestamps.json moved/referee/
$PY "$TESTS_DIR/cli/retag.py" moved referee/attestation.timestamps.json
expect_exit "a timestamp over another signature fails" 1 $R verify moved --trust ed.pub --tsa-cert root.pem
expect_err_match "reason" "timestamp 1 \(signature 0\).*does not verify"
# sign --tsa: countersign with a timestamp
expect_exit "sign --tsa (countersign)" 0 $R sign b --key rev.key --trust ed.pub --tsa "$GOOD"
expect_true "two timestamps" $PY -c "import json; assert len(json.load(open('b/referee/attestation.timestamps.json'))) == 2"
mkdir -p keys; cp ed.pub rev.pub keys/
expect_exit "verify: both signatures' timestamps" 0 $R verify b --trust keys --min-signatures 2 --tsa-cert root.pem
expect_out_match "both" "timestamps: 2 verified"
# an expired TSA certificate
serve good old.cnf; OLD=$URL
expect_exit "pack with a TSA whose certificate expired" 0 $R pack exp src --sign ed.key --tsa "$OLD"
expect_exit "the expired TSA certificate fails verify" 1 $R verify exp --trust ed.pub --tsa-cert root.pem
expect_err_match "reason" "timestamp 1 .*does not verify"
# garbage, the answer to another request, an unreachable TSA: nothing written
serve garbage good.cnf; BAD=$URL
expect_exit "a garbage TSA response: pack fails" 1 $R pack g1 src --sign ed.key --tsa "$BAD"
expect_err_match "reason" "not an RFC 3161 response"
expect_true "nothing written" test ! -e g1
serve other good.cnf; OTHER=$URL
expect_exit "a response to another request: pack fails" 1 $R pack g2 src --sign ed.key --tsa "$OTHER"
expect_err_match "reason" "does not answer the request"
expect_true "nothing written" test ! -e g2
expect_exit "TSA unreachable: pack fails" 2 $R pack g3 src --sign ed.key --tsa http://127.0.0.1:9/tsa
expect_err_match "clear error" "TSA 'http://127.0.0.1:9/tsa' unreachable"
expect_true "nothing written" test ! -e g3
$R pack us src >/dev/null 2>&1
cp -r us us.before
expect_exit "sign --tsa with the TSA unreachable fails" 2 $R sign us --key ed.key --tsa http://127.0.0.1:9/tsa
expect_true "and leaves the bag as it was" diff -r us us.before
expect_exit "pack --tsa without --sign: exit 2" 2 $R pack g4 src --tsa "$GOOD"
stop_all
done_testing
