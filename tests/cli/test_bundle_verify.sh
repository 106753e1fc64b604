#!/usr/bin/env bash
# Every verb that reads a bag verifies it exactly as `verify` does (issue 11):
# a signed bag whose claims were edited and whose every recomputable digest
# (manifest, Payload-Oxum, provenance, tag manifest) was recomputed passed
# `check BAG` and `replay --check BAG` before (BagIt checks only); the
# signed statement catches it even without a trusted key.  An attestation
# removed says UNSIGNED in the verdict; `sign` refuses what verify refuses.
. "$(dirname "$0")/lib.sh"
cd "$T"
M="$REPO_DIR/manifests"
PY=${PYTHON:-python3}
FORGE="$TESTS_DIR/cli/forge.py"
"$REFEREE" keygen author --no-passphrase >/dev/null 2>&1
"$REFEREE" keygen stranger --no-passphrase >/dev/null 2>&1
mkdir ev && cp -r "$M/deepseek-r1" ev/
(cd ev && "$REFEREE" pack -q "$T/signed" deepseek-r1 --sign "$T/author.key" >/dev/null 2>&1)
cp -r signed forged
"$PY" "$FORGE" forged edit data/deepseek-r1/claims.yaml "claimed: about 4 days" "claimed: about 3.3 days"

# check BAG: the untouched signed bag, without and with --trust
expect_exit "check on the signed bag (R1's pair is INCONSISTENT)" 1 "$REFEREE" check signed
expect_err_match "...says the signatures were not checked against a trusted key" \
  "bundle '.*signed': VERIFIED; signed \\(1 signature\\), but the signatures were NOT checked against a trusted key"
expect_out_match "...and heads the table with it" "^bundle: VERIFIED; signed"
expect_exit "check --trust on the signed bag" 1 "$REFEREE" check --trust author.pub signed
expect_err_match "...names the trusted signer" "VERIFIED; signed by author \\(1 of 1"
expect_exit "check --trust with a stranger's key fails" 1 "$REFEREE" check --trust stranger.pub signed
expect_err_match "...at the signature stage" "signature check failed \\(signatures\\)"

# the forgery: edited claim, every digest recomputed
expect_exit "check refuses the forged bag without --trust" 1 "$REFEREE" check forged
expect_err_match "...naming the edited file" "data/deepseek-r1/claims.yaml.*differs from its signed digest"
expect_err_match "...and believes no claim" "does not verify: not checking its claims"
if grep -q CONFIRMED "$T/out"; then not_ok "no claim of the forged bag is CONFIRMED"; else ok "no claim of the forged bag is CONFIRMED"; fi
expect_exit "verify refuses it too (same verdict)" 1 "$REFEREE" verify forged

# attestation removed: UNSIGNED in the verdict
cp -r signed stripped
"$PY" "$FORGE" stripped unsign
expect_exit "a stripped bag still checks (integrity holds)" 1 "$REFEREE" check stripped
expect_err_match "...but the verdict says UNSIGNED" "VERIFIED; UNSIGNED"
expect_out_match "...in the table's header too" "^bundle: VERIFIED; UNSIGNED"
"$REFEREE" check --in deepseek-r1 --json stripped >json.out 2>/dev/null
if "$PY" -c "import json,sys; d=json.load(open('json.out')); sys.exit(0 if 'UNSIGNED' in d['header'] else 1)"; then
  ok "--json carries the verdict"; else not_ok "--json carries the verdict"; fi
"$REFEREE" check --in deepseek-r1 --html page.html --junit junit.xml stripped >/dev/null 2>&1
if grep -q "UNSIGNED" page.html && grep -q 'property name="header" value="bundle: VERIFIED; UNSIGNED' junit.xml; then
  ok "--html and --junit carry the verdict"; else not_ok "--html and --junit carry the verdict"; fi
expect_exit "check --require-signature fails a stripped bag" 1 "$REFEREE" check --require-signature stripped
expect_exit "check --trust fails a stripped bag" 1 "$REFEREE" check --trust author.pub stripped
expect_exit "--trust on a folder (not a bag) is a usage error" 2 "$REFEREE" check --trust author.pub ev/deepseek-r1
expect_exit "check --min-signatures without --trust is a usage error" 2 "$REFEREE" check --min-signatures 2 signed

# replay --check BAG verifies the same way
mkdir rp && "$REFEREE" replay "$M/tiny-grpo/test.yaml" --out rp/replay --quiet -j 2 >/dev/null 2>&1
if [ -f rp/replay/log.jsonl ]; then
  (cd rp && "$REFEREE" pack -q "$T/rbag" replay --sign "$T/author.key" >/dev/null 2>&1)
  if [ -f rbag/bagit.txt ]; then
    # another run's log in place of the author's, every digest recomputed
    "$PY" "$FORGE" rbag edit data/replay/log.jsonl '"step":' '"step": '
    expect_exit "replay --check refuses a signed bag whose log was swapped" 1 \
      "$REFEREE" replay --check rbag --quiet -j 2
    expect_out_match "...saying why" "differs from its signed digest"
    expect_out_match "...and does not re-run it" "replay NOT CHECKED"
  else
    skip "replay --check on a forged bag" "could not pack the replay"
  fi
else
  skip "replay --check on a forged bag" "the replay did not run"
fi

# sign verifies as verify does: a symlink in data/ (BagIt allows it, the
# signed statement cannot cover it) is refused, and nothing is written
mkdir ls && printf 'x\n' > ls/x.txt
"$REFEREE" pack -q plain ls >/dev/null 2>&1
ln -s x.txt plain/data/ls/link.txt
"$PY" "$FORGE" plain edit data/ls/x.txt "x" "x"
if "$REFEREE" verify -q plain >/dev/null 2>&1; then
  expect_exit "sign refuses a bag with a symlink in data/" 1 "$REFEREE" sign plain --key author.key
  expect_err_match "...naming it" "data/ls/link.txt"
  if [ -e plain/referee/attestation.dsse.json ]; then not_ok "...and writes nothing"; else ok "...and writes nothing"; fi
else
  skip "sign refuses a bag with a symlink in data/" "this bag does not verify unsigned here"
fi
# unsigned extras: tag files no signature covers, manifests of algorithms
# referee does not check (accepted silently before)
cp -r signed extras
printf 'hello\n' > extras/README.txt
printf 'x\n' > extras/referee/notes.txt
(cd extras && md5sum data/deepseek-r1/claims.yaml > manifest-md5.txt &&
 for f in README.txt referee/notes.txt manifest-md5.txt; do sha256sum "$f"; done >> tagmanifest-sha256.txt)
expect_exit "a signed bag with extras still verifies (BagIt allows them)" 0 "$REFEREE" verify --trust author.pub extras
expect_out_match "...but each is named" "extra: +'README.txt': no signature covers it"
expect_out_match "...under referee/ too" "extra: +'referee/notes.txt': no signature covers it"
expect_out_match "...and an md5 manifest is said to be unchecked" "extra: +'manifest-md5.txt': its algorithm is not checked"
expect_out_match "...in the verdict" "verdict: VERIFIED; signed by author .*; 3 files outside data/ that nothing vouches for \\(unsigned extras\\)"
expect_exit "check carries the same verdict" 1 "$REFEREE" check extras
expect_err_match "...on its verdict line" "3 files outside data/ that nothing vouches for"
done_testing
