#!/usr/bin/env bash
# Rollback (issue 11): an older bag signed by the same key verified in place
# of a newer one.  pack writes an External-Identifier (a UUID, or the
# author's), the signed statement covers it with the rest of bag-info,
# verify prints it, and `verify --expect-id ID` fails on any other bag.
# Also: bag-info values must be UTF-8 (a Latin-1 --source-organization made
# pack --sign exit 3 "out of memory" and unsigned pack write non-UTF-8).
. "$(dirname "$0")/lib.sh"
cd "$T"
FORGE="$TESTS_DIR/cli/forge.py"
PY=${PYTHON:-python3}
"$REFEREE" keygen author --no-passphrase >/dev/null 2>&1
mkdir src && printf 'v1\n' > src/result.txt
expect_exit "pack --sign writes an identifier" 0 "$REFEREE" pack old src --sign author.key
expect_out_match "...and says it" "^identifier: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} "
old_id=$(sed -n 's/^External-Identifier: //p' old/bag-info.txt)
printf 'v2\n' > src/result.txt
expect_exit "the author's own identifier" 0 "$REFEREE" pack new src --sign author.key --external-identifier MS-2025-0042
expect_true "...is in bag-info.txt" grep -qx 'External-Identifier: MS-2025-0042' new/bag-info.txt
if [ -n "$old_id" ] && [ "$old_id" != MS-2025-0042 ]; then ok "two packs, two identities"; else not_ok "two packs, two identities"; fi
"$PY" - old <<'PYEOF'
import base64, json, sys
env = json.load(open(sys.argv[1] + '/referee/attestation.dsse.json'))
st = json.loads(base64.b64decode(env['payload']))
sys.exit(0 if st['predicate']['bagInfo'].get('External-Identifier') else 1)
PYEOF
if [ $? -eq 0 ]; then ok "the signed statement carries the identifier"; else not_ok "the signed statement carries the identifier"; fi

expect_exit "verify --expect-id on the right bag" 0 "$REFEREE" verify new --trust author.pub --expect-id MS-2025-0042
expect_out_match "verify prints the identifier, signed" "identifier: MS-2025-0042 \\(signed\\)"
expect_exit "the older bag, same key, is refused in its place" 1 "$REFEREE" verify old --trust author.pub --expect-id MS-2025-0042
expect_err_match "...naming both identifiers" "External-Identifier is '$old_id', not the expected 'MS-2025-0042'"
expect_exit "check --expect-id refuses it too" 1 "$REFEREE" check old --trust author.pub --expect-id MS-2025-0042
cp -r old relabelled
"$PY" "$FORGE" relabelled edit bag-info.txt "$old_id" MS-2025-0042
expect_exit "relabelling the old bag breaks its signature" 1 "$REFEREE" verify relabelled --expect-id MS-2025-0042
expect_err_match "...bag-info differs from the signed one" "bag-info.txt differs"
"$REFEREE" pack -q plain src --external-identifier MS-2025-0042 >/dev/null 2>&1
expect_exit "an unsigned bag cannot satisfy --expect-id" 1 "$REFEREE" verify plain --expect-id MS-2025-0042
expect_err_match "...the identifier is not signed" "not covered by a signature"
expect_exit "an empty identifier is refused" 2 "$REFEREE" pack e1 src --external-identifier ""
expect_exit "an identifier with a newline is refused" 2 "$REFEREE" pack e2 src --external-identifier "$(printf 'a\nPayload-Oxum: 1.1')"

# bag-info must be UTF-8
latin1=$(printf 'Universit\xe9')
expect_exit "non-UTF-8 --source-organization is refused" 2 "$REFEREE" pack l1 src --source-organization "$latin1"
expect_err_match "...clearly" "Source-Organization: not valid UTF-8"
if [ -e l1 ]; then not_ok "...and nothing is written"; else ok "...and nothing is written"; fi
expect_exit "...also with --sign (was: exit 3, out of memory)" 2 "$REFEREE" pack l2 src --sign author.key --source-organization "$latin1"
expect_err_match "...clearly" "Source-Organization: not valid UTF-8"
expect_exit "UTF-8 is fine" 0 "$REFEREE" pack -q l3 src --sign author.key --source-organization "Université"
done_testing
