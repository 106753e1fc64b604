#!/usr/bin/env bash
# Forgeries against a signed bag: each must fail (exit 1) with a reason,
# never pass.  Also: unsigned bags, --require-signature, stage order.
. "$(dirname "$0")/lib.sh"
cd "$T"
PY=${PYTHON:-python3}

mkdir -p src/sub other
printf 'a\n' > src/a.txt
printf 'b\n' > src/sub/b.txt
printf 'gpus: 512\nhours: 198\n' > src/m.yaml
printf 'other\n' > other/o.txt
for k in author stranger; do "$REFEREE" keygen $k --no-passphrase >/dev/null 2>&1; done
printf 'rp\n' > rpass
"$REFEREE" keygen reviewer --passphrase-file rpass >/dev/null 2>&1
"$REFEREE" pack signed src --sign author.key >/dev/null 2>&1
"$REFEREE" pack othersigned other --sign author.key >/dev/null 2>&1
"$REFEREE" pack unsigned src >/dev/null 2>&1
expect_exit "the untouched signed bag verifies" 0 "$REFEREE" verify signed --trust author.pub

# rehash BAG: rewrite the tag manifest, as a forger would, so that only the
# signature checks can notice
rehash() {
  (cd "$1" && { for f in bagit.txt bag-info.txt manifest-sha256.txt; do sha256sum "$f"; done
                find referee -type f | LC_ALL=C sort | while read -r f; do sha256sum "$f"; done; } \
     > tagmanifest-sha256.txt.new && mv tagmanifest-sha256.txt.new tagmanifest-sha256.txt)
}
# envtool BAG MODE: edit the envelope of BAG (and its sigstore twin)
cat > envtool.py <<'PYEOF'
import base64, json, subprocess, sys
bag, mode = sys.argv[1], sys.argv[2]
p = bag + "/referee/attestation.dsse.json"
env = json.load(open(p))
def stmt(): return json.loads(base64.b64decode(env["payload"]))
def put(st): env["payload"] = base64.b64encode(json.dumps(st).encode()).decode()
def resign(key):
    t = env["payloadType"].encode(); body = base64.b64decode(env["payload"])
    pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)
    open("pae.bin", "wb").write(pae)
    subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", key,
                    "-in", "pae.bin", "-out", "sig.bin"], check=True)
    env["signatures"] = [{"keyid": env["signatures"][0]["keyid"],
                          "sig": base64.b64encode(open("sig.bin", "rb").read()).decode()}]
if mode == "edit-statement":          # change a digest, keep the old signature
    st = stmt(); st["subject"][0]["digest"]["sha256"] = "0" * 64; put(st)
elif mode == "edit-predicate":
    st = stmt(); st["predicate"]["bagInfo"]["Payload-Oxum"] = "1.1"; put(st)
elif mode == "flip-sig":
    s = bytearray(base64.b64decode(env["signatures"][0]["sig"])); s[5] ^= 0x01
    env["signatures"][0]["sig"] = base64.b64encode(bytes(s)).decode()
elif mode == "add-subject":            # re-signed with the real key: the subject check must catch it
    st = stmt(); st["subject"].append({"name": "data/src/ghost.txt", "digest": {"sha256": "1" * 64}})
    put(st); resign(sys.argv[3])
elif mode == "drop-subject":
    st = stmt(); st["subject"] = [s for s in st["subject"] if s["name"] != "data/src/a.txt"]
    put(st); resign(sys.argv[3])
elif mode == "drop-provenance":
    st = stmt(); st["subject"] = [s for s in st["subject"] if s["name"] != "referee/provenance.json"]
    put(st); resign(sys.argv[3])
elif mode == "bad-manifest-digest":   # re-signed, but the canonical digest is wrong
    st = stmt(); st["predicate"]["manifests"]["data/src/m.yaml"] = "2" * 64
    put(st); resign(sys.argv[3])
elif mode == "drop-last-sig":
    env["signatures"] = env["signatures"][:-1]
elif mode == "dup-sig":                # the same signature twice, another keyid hint
    env["signatures"].append({"keyid": "ff" * 32, "sig": env["signatures"][0]["sig"]})
elif mode == "not-base64":
    env["payload"] = env["payload"][:-2] + "!!"
elif mode == "extra-key":
    env["extra"] = 1
json.dump(env, open(p, "w"))
sb = bag + "/referee/attestation.sigstore.json"
b = json.load(open(sb)); b["dsseEnvelope"] = env; json.dump(b, open(sb, "w"))
PYEOF
fresh() { rm -rf "$1"; cp -a signed "$1"; }

# 1. payload file changed after signing
fresh f1; printf 'A\n' > f1/data/src/a.txt
expect_exit "payload file changed after signing" 1 "$REFEREE" verify f1 --trust author.pub
expect_err_match "reason: differs from its signed digest" "data/src/a.txt.*differs from its signed digest"

# 2. statement edited (signature no longer matches)
fresh f2; "$PY" envtool.py f2 edit-statement; rehash f2
expect_exit "statement edited" 1 "$REFEREE" verify f2 --trust author.pub
expect_err_match "reason: no trusted signature" "not valid for any trusted key"
fresh f2b; "$PY" envtool.py f2b edit-predicate; rehash f2b
expect_exit "predicate edited" 1 "$REFEREE" verify f2b --trust author.pub

# 3. signature bytes flipped
fresh f3; "$PY" envtool.py f3 flip-sig; rehash f3
expect_exit "signature bytes flipped" 1 "$REFEREE" verify f3 --trust author.pub
expect_err_match "reason names the signature" "signature 1"

# 4. untrusted key
expect_exit "signature from an untrusted key" 1 "$REFEREE" verify signed --trust stranger.pub
expect_err_match "reason: not valid for any trusted key" "not valid for any trusted key"

# 5. a valid envelope from another bag swapped in
fresh f5; cp othersigned/referee/attestation.*.json f5/referee/; rehash f5
expect_exit "envelope from another bag swapped in" 1 "$REFEREE" verify f5 --trust author.pub
expect_err_match "reason: subjects do not match" "not a subject|not a payload file"

# 6. an added subject, validly signed
fresh f6; "$PY" envtool.py f6 add-subject author.key; rehash f6
expect_exit "an added subject (re-signed)" 1 "$REFEREE" verify f6 --trust author.pub
expect_err_match "reason names the subject" "data/src/ghost.txt.*not a payload file"
fresh f6b; "$PY" envtool.py f6b drop-subject author.key; rehash f6b
expect_exit "a dropped subject (re-signed)" 1 "$REFEREE" verify f6b --trust author.pub
expect_err_match "reason names the file" "data/src/a.txt.*not a subject"
fresh f6c; "$PY" envtool.py f6c drop-provenance author.key; rehash f6c
expect_exit "provenance not covered (re-signed)" 1 "$REFEREE" verify f6c --trust author.pub

fresh f6d; "$PY" envtool.py f6d bad-manifest-digest author.key; rehash f6d
expect_exit "a wrong manifest digest (re-signed)" 1 "$REFEREE" verify f6d --trust author.pub
expect_err_match "reason names the manifest" "data/src/m.yaml.*canonical manifest digest differs"

# 7. a removed signature with --min-signatures 2
fresh f7; "$REFEREE" sign f7 --key reviewer.key --passphrase-file rpass --trust author.pub >/dev/null 2>&1
mkdir -p both && cp author.pub reviewer.pub both/
expect_exit "two signatures verify with --min-signatures 2" 0 "$REFEREE" verify f7 --trust both --min-signatures 2
"$PY" envtool.py f7 drop-last-sig; rehash f7
expect_exit "a removed signature with --min-signatures 2" 1 "$REFEREE" verify f7 --trust both --min-signatures 2
expect_err_match "reason: 1 of 2" "1 of 2 required signatures"

fresh f7b; "$PY" envtool.py f7b dup-sig; rehash f7b
expect_exit "one signer's signature twice does not count twice" 1 "$REFEREE" verify f7b --trust both --min-signatures 2
expect_exit "...though it still verifies once" 0 "$REFEREE" verify f7b --trust both

# 8. a wrong passphrase
printf 'nope\n' > wpass
expect_exit "a wrong passphrase" 1 "$REFEREE" sign signed --key reviewer.key --passphrase-file wpass --trust author.pub
expect_err_match "reason: wrong passphrase" "wrong passphrase"
expect_exit "pack --sign with a wrong passphrase" 1 "$REFEREE" pack wp src --sign reviewer.key --passphrase-file wpass
if [ ! -e wp ]; then ok "nothing packed with a wrong passphrase"; else not_ok "nothing packed with a wrong passphrase"; fi

expect_exit "pack --sign with an encrypted key and its passphrase" 0 "$REFEREE" pack wp2 src --sign reviewer.key --passphrase-file rpass
expect_exit "...verifies against that key" 0 "$REFEREE" verify wp2 --trust reviewer.pub
expect_exit "a public key is not a signing key" 2 "$REFEREE" pack wp3 src --sign author.pub
expect_err_match "reason: holds no private key" "not a PEM private key"
expect_exit "--passphrase-file without --sign is a usage error" 2 "$REFEREE" pack wp4 src --passphrase-file rpass
if [ ! -e wp3 ] && [ ! -e wp4 ]; then ok "nothing packed on refusal"; else not_ok "nothing packed on refusal"; fi

# the tag manifest still guards the attestation when nobody rehashes
fresh g1; "$PY" envtool.py g1 flip-sig
expect_exit "edited attestation without rehash" 1 "$REFEREE" verify g1 --trust author.pub
# malformed envelopes and a missing or disagreeing sigstore bundle
fresh g2; "$PY" envtool.py g2 not-base64; rehash g2
expect_exit "payload that is not base64 is malformed" 2 "$REFEREE" verify g2 --trust author.pub
expect_err_match "reason: malformed envelope" "malformed DSSE envelope"
fresh g3; "$PY" envtool.py g3 extra-key; rehash g3
expect_exit "an unexpected envelope key is malformed" 2 "$REFEREE" verify g3 --trust author.pub
fresh g4; rm g4/referee/attestation.sigstore.json; rehash g4
expect_exit "missing sigstore bundle" 1 "$REFEREE" verify g4 --trust author.pub
fresh g5; cp othersigned/referee/attestation.sigstore.json g5/referee/; rehash g5
expect_exit "sigstore bundle of another envelope" 1 "$REFEREE" verify g5 --trust author.pub
expect_err_match "reason: not the same envelope" "same envelope"
# bag-info edited after signing (tag manifest rehashed)
fresh g6; printf 'Source-Organization: Forged Lab\n' >> g6/bag-info.txt; rehash g6
expect_exit "bag-info.txt edited after signing" 1 "$REFEREE" verify g6 --trust author.pub
expect_err_match "reason: bag-info differs" "bag-info.txt differs"
# an extra payload file planted, with the manifests rehashed
fresh g7; printf 'x\n' > g7/data/src/planted.txt
(cd g7 && sha256sum data/src/planted.txt >> manifest-sha256.txt); rehash g7
expect_exit "planted payload file" 1 "$REFEREE" verify g7 --trust author.pub
expect_err_match "reason names it" "planted.txt"

# the signed provenance removed, or swapped for a link out of the bag
fresh g8; rm g8/referee/provenance.json; rehash g8
expect_exit "provenance removed after signing" 1 "$REFEREE" verify g8 --trust author.pub
expect_err_match "reason: missing" "referee/provenance.json.*missing"
fresh g9; cp g9/referee/provenance.json outside.json; rm g9/referee/provenance.json
ln -s "$T/outside.json" g9/referee/provenance.json
expect_exit "provenance as a symlink out of the bag" 1 "$REFEREE" verify g9 --trust author.pub

# 9. countersigning over a bad signature.  A reviewer flipped a byte of the
# author's signature (sigstore twin and tag manifest kept consistent); a
# countersignature must not launder it, and verify must not count around it.
keyid16() { openssl pkey -pubin -in "$1" -outform DER | tail -c 32 | sha256sum | cut -c1-16; }
author16=$(keyid16 author.pub); stranger16=$(keyid16 stranger.pub)
fresh h1; "$PY" envtool.py h1 flip-sig; rehash h1; cp -a h1 h1.orig
expect_exit "countersigning a signed bag without --trust is a usage error" 2 "$REFEREE" sign h1 --key reviewer.key --passphrase-file rpass
expect_err_match "reason: countersigning needs --trust" "already signed.*needs --trust"
expect_exit "countersigning over a flipped signature is refused" 1 "$REFEREE" sign h1 --key reviewer.key --passphrase-file rpass --trust both
expect_err_match "reason names signature 1 and its keyid" "signature 1 \(keyid $author16"
if diff -r h1 h1.orig >/dev/null; then ok "bag untouched after the refused countersignatures"
else not_ok "bag untouched after the refused countersignatures"; fi
# author + reviewer signed; the author's signature is then flipped
fresh h2; "$REFEREE" sign h2 --key reviewer.key --passphrase-file rpass --trust author.pub >/dev/null 2>&1
"$PY" envtool.py h2 flip-sig; rehash h2; cp -a h2 h2.orig
expect_exit "a flipped trusted signature fails verify though another meets the threshold" 1 "$REFEREE" verify h2 --trust both
expect_err_match "reason names the tampered signature and its trusted key" "signature 1 \(keyid $author16.*trusted key 'author'"
expect_exit "countersigning next to a flipped trusted signature is refused" 1 "$REFEREE" sign h2 --key stranger.key --trust both
expect_err_match "reason names signature 1" "signature 1 \(keyid $author16"
if diff -r h2 h2.orig >/dev/null; then ok "bag untouched after the refused countersignature"
else not_ok "bag untouched after the refused countersignature"; fi
# author + stranger signed: the stranger's signature is valid but not trusted
fresh h3; "$REFEREE" sign h3 --key stranger.key --trust author.pub >/dev/null 2>&1; cp -a h3 h3.orig
expect_exit "an untrusted signer's signature is ignored by verify" 0 "$REFEREE" verify h3 --trust author.pub
expect_out_match "...but reported" "1 of 2 signatures from trusted keys"
expect_exit "countersigning needs every existing signature trusted" 1 "$REFEREE" sign h3 --key reviewer.key --passphrase-file rpass --trust author.pub
expect_err_match "reason names signature 2 and its keyid" "signature 2 \(keyid $stranger16"
if diff -r h3 h3.orig >/dev/null; then ok "bag untouched when a signer is untrusted"
else not_ok "bag untouched when a signer is untrusted"; fi
mkdir -p all3 && cp author.pub stranger.pub reviewer.pub all3/
expect_exit "...and goes ahead once every signer is trusted" 0 "$REFEREE" sign h3 --key reviewer.key --passphrase-file rpass --trust all3
expect_exit "three signatures verify" 0 "$REFEREE" verify h3 --trust all3 --min-signatures 3

# unsigned bags
expect_exit "an unsigned bag verifies for integrity" 0 "$REFEREE" verify unsigned
expect_out_match "reported as unsigned" "unsigned"
expect_exit "--require-signature fails an unsigned bag" 1 "$REFEREE" verify unsigned --require-signature
expect_err_match "reason: unsigned" "unsigned"
expect_exit "--trust fails an unsigned bag" 1 "$REFEREE" verify unsigned --trust author.pub
expect_exit "signed bag without --trust verifies, signatures unchecked" 0 "$REFEREE" verify signed
expect_out_match "says the signatures were not checked" "not checked"
expect_exit "a missing bag is bad input" 2 "$REFEREE" verify nosuch-bag --trust author.pub
if grep -q unsigned "$T/out"; then not_ok "a missing bag is not called unsigned"; else ok "a missing bag is not called unsigned"; fi
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key 2>/dev/null
openssl pkey -in ec.key -pubout -out ec.pub 2>/dev/null
expect_exit "a non-Ed25519 trusted key is refused" 2 "$REFEREE" verify signed --trust ec.pub
expect_err_match "reason: not Ed25519" "not an Ed25519 key"
expect_exit "a non-Ed25519 signing key is refused" 2 "$REFEREE" sign signed --key ec.key
expect_exit "a missing trust list is bad input" 2 "$REFEREE" verify signed --trust nosuch.pub
expect_exit "--min-signatures 0 is a usage error" 2 "$REFEREE" verify signed --trust author.pub --min-signatures 0
done_testing
