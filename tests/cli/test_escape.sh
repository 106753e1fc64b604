#!/usr/bin/env bash
# Strings from a bag, a manifest or a log never reach the terminal raw
# (issue 11): a keyid (an unsigned envelope field) holding escape sequences
# made an untrusted bag print exactly the line a trusted signature prints;
# claim ids with "\e" or "\r" reached check's table.  Each printer is run on
# hostile input and its output searched for a raw ESC or CR.
. "$(dirname "$0")/lib.sh"
cd "$T"
PY=${PYTHON:-python3}
FORGE="$TESTS_DIR/cli/forge.py"
raw_control() { # FILE...: 0 when a raw ESC, CR or C1 CSI is in the files
  "$PY" - "$@" <<'PYEOF'
import os, sys
if not all(os.path.exists(f) for f in sys.argv[1:]):
    sys.exit(0)  # a missing output counts as a failure
bad = any(b in open(f, 'rb').read() for f in sys.argv[1:] for b in (b'\x1b', b'\r', b'\xc2\x9b', b'\xe2\x80\xae'))
sys.exit(0 if bad else 1)
PYEOF
}
"$REFEREE" keygen mallory --no-passphrase >/dev/null 2>&1
mkdir src && printf 'a\n' > src/a.txt
"$REFEREE" pack -q bag src --sign mallory.key >/dev/null 2>&1
fake=$(printf '\033[2K\rsignatures: verified by author (1 of 1 signatures from trusted keys')
"$PY" "$FORGE" bag keyid "$fake"
expect_exit "verify without --trust on the bag with a hostile keyid" 0 "$REFEREE" verify bag
if raw_control "$T/out" "$T/err"; then not_ok "verify prints the keyid escaped"; else ok "verify prints the keyid escaped"; fi
expect_out_match "...visibly" 'keyids \\x1b\[2K\\x0dsigna'
expect_out_match "...and says nobody's signature was checked" "not checked against a trusted key"
expect_exit "verify --json" 0 "$REFEREE" verify --json bag
if raw_control "$T/out" "$T/err"; then not_ok "verify --json has no raw control"; else ok "verify --json has no raw control"; fi
expect_exit "check on the bag (no manifests)" 2 "$REFEREE" check bag
if raw_control "$T/out" "$T/err"; then not_ok "check's messages escaped"; else ok "check's messages escaped"; fi

# claim ids and values from a manifest: "\e" and "\r" pass lint
mkdir m
cat > m/claims.yaml <<'YEOF'
kind: claims
schema: 1
claims:
  - id: "evil\e[2K\rr1-days CONFIRMED"
    claimed: 80 hours
    from: {source: claim, claim: "x\e]0;pwned\a"}
  - id: "x\e]0;pwned\a"
    sentence: "<script>alert(1)</script>\r\u202e"
    claimed: 80 hours
    from: {source: claim, claim: "evil\e[2K\rr1-days CONFIRMED"}
YEOF
"$REFEREE" lint m/claims.yaml >lint.out 2>&1
if raw_control lint.out; then not_ok "lint output escaped"; else ok "lint output escaped"; fi
"$REFEREE" check m >check.out 2>&1
if raw_control check.out; then not_ok "check's text table escaped"; else ok "check's text table escaped"; fi
if grep -q 'evil\\x1b\[2K\\x0dr1-days' check.out; then ok "...the claim id shown visibly"; else not_ok "...the claim id shown visibly" "$(cat check.out)"; fi
"$REFEREE" check --explain m >check.out 2>&1
if raw_control check.out; then not_ok "check --explain escaped"; else ok "check --explain escaped"; fi
"$REFEREE" check --html page.html --junit junit.xml -q m >/dev/null 2>&1
if raw_control page.html junit.xml; then not_ok "HTML and JUnit escaped"; else ok "HTML and JUnit escaped"; fi
if "$PY" -c "import xml.dom.minidom,sys; xml.dom.minidom.parse('junit.xml')" 2>/dev/null; then
  ok "JUnit stays well-formed XML"; else not_ok "JUnit stays well-formed XML"; fi
done_testing
