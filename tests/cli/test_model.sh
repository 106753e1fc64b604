#!/usr/bin/env bash
# referee model digest|sign|verify: OpenSSF Model Signing v1.0.  The
# reference implementation's test vectors (tests/data/oms) must verify and
# fail when tampered with; model_signing (PyPI) must verify what referee
# signs and the other way round; forged bundles must fail with a reason.
. "$(dirname "$0")/lib.sh"
R=$REFEREE
V=$TESTS_DIR/data/oms
K=$V/keys/signing-key-pub.pem
CA=$V/keys/ca-cert.pem
PY=${PYTHON:-python3}

expect_exit "model --help" 0 $R model sign --ignore-paths x --help
expect_out_match "help names the format" "OpenSSF Model Signing"
expect_exit "model without a verb: exit 2" 2 $R model
expect_exit "model verify without a key or root: exit 2" 2 $R model verify . --signature x.sig

# ---- the reference vectors -------------------------------------------------
expect_exit "v1.1.0 key vector verifies" 0 $R model verify $V/v1.1.0-elliptic-key \
  --signature $V/v1.1.0-elliptic-key/model.sig --trust $K
expect_out_match "digest printed" \
  "verified: v1.1.0-elliptic-key sha256:92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4 \(2 resources, files\)"
expect_exit "v1.0.1 key vector verifies (ignore path given)" 0 $R model verify \
  $V/v1.0.1-elliptic-key --signature $V/v1.0.1-elliptic-key/model.sig --trust $K \
  --ignore-paths $V/v1.0.1-elliptic-key/ignore-me
expect_exit "v1.0.1 without the ignore path: ignore-me is not signed" 1 $R model \
  verify $V/v1.0.1-elliptic-key --signature $V/v1.0.1-elliptic-key/model.sig --trust $K
expect_err_match "the unsigned file is named" "not signed: 'ignore-me'"
expect_exit "v1.0.0 key vector (a single-file model) verifies" 0 $R model verify \
  $V/v1.0.0-elliptic-key/signme-1 --signature $V/v1.0.0-elliptic-key/model.sig --trust $K
expect_exit "v0.3.1 key vector (a single-file model) verifies" 0 $R model verify \
  $V/v0.3.1-elliptic-key/signme-1 --signature $V/v0.3.1-elliptic-key/model.sig --trust $K
for v in v1.0.0 v1.0.1 v1.1.0; do
  ign=""; [ -e $V/$v-certificate/ignore-me ] && ign="--ignore-paths $V/$v-certificate/ignore-me"
  expect_exit "$v certificate vector verifies against the root" 0 $R model verify \
    $V/$v-certificate --signature $V/$v-certificate/model.sig --trust-chain $CA $ign
done
expect_exit "digest of a vector" 0 $R model digest $V/v1.1.0-elliptic-key \
  --ignore-paths $V/v1.1.0-elliptic-key/ignore-me
expect_out_match "digest equals the signed subject" \
  "^sha256:92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4  v1.1.0-elliptic-key$"

# ---- tampering with a vector ----------------------------------------------
tamper_copy() { rm -rf "$T/v"; cp -r $V/v1.1.0-elliptic-key "$T/v"; chmod -R u+w "$T/v"; }
tamper_copy; printf 'X' | dd of="$T/v/signme-1" bs=1 seek=2 conv=notrunc 2>/dev/null
expect_exit "a changed byte fails" 1 $R model verify "$T/v" --signature "$T/v/model.sig" --trust $K
expect_err_match "the changed file is named" "changed: 'signme-1'"
tamper_copy; echo extra > "$T/v/added.bin"
expect_exit "an added file fails" 1 $R model verify "$T/v" --signature "$T/v/model.sig" --trust $K
expect_err_match "the added file is named" "not signed: 'added.bin'"
expect_exit "an added file passes with --ignore-unsigned-files" 0 $R model verify "$T/v" \
  --signature "$T/v/model.sig" --trust $K --ignore-unsigned-files
tamper_copy; mv "$T/v/signme-2" "$T/v/signme-3"
expect_exit "a renamed file fails" 1 $R model verify "$T/v" --signature "$T/v/model.sig" --trust $K
expect_err_match "renamed: old name missing" "missing: 'signme-2'"
expect_exit "a renamed file fails with --ignore-unsigned-files too" 1 $R model verify "$T/v" \
  --signature "$T/v/model.sig" --trust $K --ignore-unsigned-files
tamper_copy; mkdir "$T/v/.git"; echo x > "$T/v/.git/HEAD"; echo y > "$T/v/.gitignore"
expect_exit "git paths are ignored by default" 0 $R model verify "$T/v" --signature "$T/v/model.sig" --trust $K

# ---- forged bundles ----------------------------------------------------------
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$T/other.key"
openssl pkey -in "$T/other.key" -pubout -out "$T/other.pub" 2>/dev/null
tamper_copy
expect_exit "another key fails (hint mismatch)" 1 $R model verify "$T/v" --signature "$T/v/model.sig" --trust "$T/other.pub"
expect_err_match "hint named" "signed by another key"
# the same bundle without its hint: the signature itself must fail
$PY - "$T/v/model.sig" "$T/nohint.sig" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1])); b["verificationMaterial"]["publicKey"] = {}
json.dump(b, open(sys.argv[2], "w"))
EOF
expect_exit "another key fails (no hint)" 1 $R model verify "$T/v" --signature "$T/nohint.sig" --trust "$T/other.pub"
expect_err_match "signature named" "signature does not verify"
# payload altered (a resource digest swapped for that of the changed file)
$PY - "$T/v/model.sig" "$T/forged.sig" <<'EOF'
import json, sys, base64
b = json.load(open(sys.argv[1])); e = b["dsseEnvelope"]
p = json.loads(base64.b64decode(e["payload"]))
p["predicate"]["resources"][0]["digest"] = "00" * 32
e["payload"] = base64.b64encode(json.dumps(p).encode()).decode()
json.dump(b, open(sys.argv[2], "w"))
EOF
expect_exit "an altered payload fails" 1 $R model verify "$T/v" --signature "$T/forged.sig" --trust $K
expect_err_match "reason given" "signature does not verify"
echo '{"mediaType":' > "$T/bad.sig"
expect_exit "a signature that is not JSON: exit 2" 2 $R model verify "$T/v" --signature "$T/bad.sig" --trust $K
expect_exit "a missing signature file: exit 2" 2 $R model verify "$T/v" --signature "$T/none.sig" --trust $K
expect_exit "a key bundle without --trust: exit 2" 2 $R model verify "$T/v" --signature "$T/v/model.sig" --trust-chain $CA
# certificate method: a root that did not issue the chain
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=other-root \
  -keyout "$T/ca2.key" -out "$T/ca2.pem" -days 2 2>/dev/null
expect_exit "certificate vector against another root fails" 1 $R model verify $V/v1.1.0-certificate \
  --signature $V/v1.1.0-certificate/model.sig --trust-chain "$T/ca2.pem" --ignore-paths $V/v1.1.0-certificate/ignore-me
expect_err_match "chain reason" "does not chain"

# ---- referee signs ------------------------------------------------------------
mk_model() {
  rm -rf "$T/m"; mkdir -p "$T/m/sub/deeper" "$T/m/a"
  head -c 70000 /dev/urandom > "$T/m/weights.bin"
  echo '{"dim": 4}' > "$T/m/config.json"
  : > "$T/m/empty"
  echo z > "$T/m/a.b"; echo q > "$T/m/a/c"; echo r > "$T/m/sub/deeper/t.txt"
}
mk_model
cd "$T"
expect_exit "keygen --type ecdsa-p256" 0 $R keygen p256 --type ecdsa-p256 --no-passphrase
expect_exit "keygen --type ecdsa-p384" 0 $R keygen p384 --type ecdsa-p384 --no-passphrase
expect_exit "keygen --type ed25519" 0 $R keygen ed --type ed25519 --no-passphrase
expect_exit "keygen --type unknown: exit 2" 2 $R keygen bad --type rsa --no-passphrase
expect_true "ECDSA P-256 private key is a PKCS#8 PEM" grep -q "BEGIN PRIVATE KEY" p256.key
expect_exit "sign (files)" 0 $R model sign m --key p256.key
expect_true "model.sig written inside" test -s m/model.sig
expect_exit "sign refuses to overwrite" 2 $R model sign m --key p256.key
expect_exit "verify own signature (model.sig inside is ignored)" 0 $R model verify m --signature m/model.sig --trust p256.pub
expect_out_match "six files" "\(6 resources, files\)"
expect_exit "sign (shards of 4096)" 0 $R model sign m --key p256.key --shards 4096 --signature shards.sig
expect_exit "verify shards" 0 $R model verify m --signature shards.sig --trust p256.pub
# weights.bin: 18 shards, empty file none, 4 small files, model.sig is inside
# the model now but not ignored for an outside signature: listed too
expect_out_match "shard count" "\(2[0-9] resources, shards\)"
for t in p384 ed; do
  expect_exit "sign with $t" 0 $R model sign m --key $t.key --signature $t.sig
  expect_exit "verify with $t" 0 $R model verify m --signature $t.sig --trust $t.pub
  expect_exit "$t signature fails with the P-256 key" 1 $R model verify m --signature $t.sig --trust p256.pub
done
printf 'pw\n' > pass.txt
expect_exit "encrypted P-384 key" 0 $R keygen enc --type ecdsa-p384 --passphrase-file pass.txt
expect_exit "sign with an encrypted key" 0 $R model sign m --key enc.key --passphrase-file pass.txt --signature enc.sig
expect_exit "verify it" 0 $R model verify m --signature enc.sig --trust enc.pub
mkdir -p src; echo x > src/f
expect_exit "bag keys stay Ed25519: pack --sign refuses an ECDSA key" 2 $R pack bag src --sign p256.key
expect_err_match "reason" "not an Ed25519 key"
# a subject digest that does not match the resources, signed by the key
$PY - m/model.sig forged-subject.sig p256.key <<'EOF' || true
import json, sys, base64
from cryptography.hazmat.primitives import serialization, hashes
from cryptography.hazmat.primitives.asymmetric import ec
b = json.load(open(sys.argv[1])); e = b["dsseEnvelope"]
p = json.loads(base64.b64decode(e["payload"]))
p["subject"][0]["digest"]["sha256"] = "11" * 32
raw = json.dumps(p).encode()
t = b"application/vnd.in-toto+json"
pae = b"DSSEv1 %d %s %d " % (len(t), t, len(raw)) + raw
k = serialization.load_pem_private_key(open(sys.argv[3], "rb").read(), None)
e["payload"] = base64.b64encode(raw).decode()
e["signatures"] = [{"sig": base64.b64encode(k.sign(pae, ec.ECDSA(hashes.SHA256()))).decode()}]
json.dump(b, open(sys.argv[2], "w"))
EOF
if [ -s forged-subject.sig ]; then
  expect_exit "validly signed but inconsistent subject digest fails" 1 $R model verify m --signature forged-subject.sig --trust p256.pub
  expect_err_match "subject reason" "is not the digest of the resources"
else skip "inconsistent subject digest" "python cryptography missing"; fi
ln -s config.json m/link.json
expect_exit "a symlink is refused" 1 $R model digest m
expect_err_match "symlink named" "link.json' is a symlink"
expect_exit "--allow-symlinks hashes its target" 0 $R model digest m --allow-symlinks
rm m/link.json
mkfifo m/fifo
expect_exit "a FIFO is refused" 1 $R model digest m
rm m/fifo

# ---- interop with the reference implementation (model_signing, PyPI) --------
if $PY -c "import model_signing" 2>/dev/null; then
  mk_model
  rm -f p256-files.sig p256-shards.sig
  expect_exit "referee signs (P-256, files)" 0 $R model sign m --key p256.key --signature p256-files.sig
  expect_exit "referee signs (P-256, shards of 4096)" 0 $R model sign m --key p256.key --shards 4096 --signature p256-shards.sig
  cat > pyverify.py <<'EOF'
import sys, model_signing
model, sig, pub = sys.argv[1:4]
try:
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=pub).verify(model, sig)
except Exception as e:
    print("FAILED:", e); sys.exit(1)
print("OK")
EOF
  expect_exit "model_signing CLI verifies referee's files signature" 0 \
    $PY -m model_signing verify key --signature p256-files.sig --public_key p256.pub m
  expect_exit "model_signing verifies referee's files signature" 0 $PY pyverify.py m p256-files.sig p256.pub
  expect_exit "model_signing verifies referee's shards signature" 0 $PY pyverify.py m p256-shards.sig p256.pub
  cp -r m m0
  printf 'X' | dd of=m/weights.bin bs=1 seek=5000 conv=notrunc 2>/dev/null
  expect_exit "model_signing: changed byte fails (files)" 1 $PY pyverify.py m p256-files.sig p256.pub
  expect_exit "model_signing: changed byte fails (shards)" 1 $PY pyverify.py m p256-shards.sig p256.pub
  rm -rf m; cp -r m0 m; echo new > m/sub/new.txt
  expect_exit "model_signing: added file fails (files)" 1 $PY pyverify.py m p256-files.sig p256.pub
  expect_exit "model_signing: added file fails (shards)" 1 $PY pyverify.py m p256-shards.sig p256.pub
  rm -rf m; cp -r m0 m; mv m/config.json m/config2.json
  expect_exit "model_signing: renamed file fails (files)" 1 $PY pyverify.py m p256-files.sig p256.pub
  expect_exit "model_signing: renamed file fails (shards)" 1 $PY pyverify.py m p256-shards.sig p256.pub
  rm -rf m; cp -r m0 m
  cat > pysign.py <<'EOF'
import sys, model_signing
model, sig, key, shards = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
cfg = model_signing.signing.Config().use_elliptic_key_signer(private_key=key)
if shards:
    cfg.set_hashing_config(model_signing.hashing.Config().use_shard_serialization(shard_size=shards))
cfg.sign(model, sig)
EOF
  expect_exit "model_signing signs (P-256, files)" 0 $PY pysign.py m py-files.sig p256.key 0
  expect_exit "model_signing signs (P-384, shards of 4096)" 0 $PY pysign.py m py-shards.sig p384.key 4096
  expect_exit "referee verifies model_signing's files signature" 0 $R model verify m --signature py-files.sig --trust p256.pub
  expect_exit "referee verifies model_signing's shards signature" 0 $R model verify m --signature py-shards.sig --trust p384.pub
  expect_true "same subject digest as model digest" bash -c \
    "[ \"\$($R model digest m | cut -d' ' -f1)\" = \"sha256:\$($PY -c 'import json,base64,sys; b=json.load(open(\"py-files.sig\")); print(json.loads(base64.b64decode(b[\"dsseEnvelope\"][\"payload\"]))[\"subject\"][0][\"digest\"][\"sha256\"])')\" ]"
  printf 'X' | dd of=m/weights.bin bs=1 seek=5000 conv=notrunc 2>/dev/null
  expect_exit "referee: changed byte fails (files)" 1 $R model verify m --signature py-files.sig --trust p256.pub
  expect_exit "referee: changed byte fails (shards)" 1 $R model verify m --signature py-shards.sig --trust p384.pub
  expect_err_match "changed file named" "changed: 'weights.bin'"
  rm -rf m; cp -r m0 m; echo new > m/sub/new.txt
  expect_exit "referee: added file fails (files)" 1 $R model verify m --signature py-files.sig --trust p256.pub
  expect_exit "referee: added file fails (shards)" 1 $R model verify m --signature py-shards.sig --trust p384.pub
  rm -rf m; cp -r m0 m; mv m/config.json m/config2.json
  expect_exit "referee: renamed file fails (files)" 1 $R model verify m --signature py-files.sig --trust p256.pub
  expect_exit "referee: renamed file fails (shards)" 1 $R model verify m --signature py-shards.sig --trust p384.pub
else
  skip "interop with model_signing" "python cannot import model_signing (make deps)"
fi
done_testing
