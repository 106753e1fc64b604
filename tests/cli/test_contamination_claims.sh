#!/usr/bin/env bash
# The `contamination` claims source: "0 of N problems overlap" is CONFIRMED
# against clean data and INCONSISTENT, naming the items, against data that
# holds benchmark problems; bad parameters fail, missing data is
# UNVERIFIABLE, files may not leave the manifests' folder.
. "$(dirname "$0")/lib.sh"
EX=$REPO_DIR/manifests/contamination
expect_exit "example: one claim inconsistent, exit 1" 1 "$REFEREE" check "$EX" --explain
expect_out_match "SFT claim confirmed" '^aime-vs-sft +0 +0 +CONFIRMED'
expect_out_match "RL claim inconsistent" '^amc-vs-rl +0 +2 +INCONSISTENT'
expect_out_match "names the items and where" 'item 22: 54 of 54 n-grams, longest 66 words at rl-prompts\.jsonl:31'

# the claim made true: both confirmed
cp -r "$EX" "$T/ex"
python3 - "$T/ex/claims.yaml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read().replace('none of the 40 AMC', 'two of the 40 AMC')
i = s.index('id: amc-vs-rl')
s = s[:i] + s[i:].replace('claimed: 0', 'claimed: 2', 1)
open(p, 'w').write(s)
PY
expect_exit "claimed 2: confirmed, exit 0" 0 "$REFEREE" check "$T/ex"
# as a percentage
cat > "$T/ex/pct.yaml" <<'Y'
kind: claims
schema: 1
name: pct
claims:
  - id: pct
    claimed: 5%
    from: {source: contamination, eval: amc23.jsonl, corpus: rl-prompts.jsonl, metric: percent}
Y
expect_exit "metric percent: 2 of 40 = 5%" 0 "$REFEREE" check "$T/ex"
rm "$T/ex/pct.yaml"

mk() { # claims file with one claim whose from: is $1
  rm -f "$T/ex/claims.yaml" "$T/ex/x.yaml"
  printf 'kind: claims\nschema: 1\nname: x\nclaims:\n  - id: c\n    claimed: 0\n    from: %s\n' "$1" > "$T/ex/x.yaml"
}
mk '{source: contamination, eval: amc23.jsonl, corpus: [rl-prompts.jsonl], metric: share}'
expect_exit "bad metric: exit 2" 2 "$REFEREE" check "$T/ex"
expect_err_match "names the field with its place" 'x\.yaml:7:.*from\.metric'
mk '{source: contamination, eval: amc23.jsonl, corpus: [../../etc/passwd]}'
run "$REFEREE" check "$T/ex"
if [ "$rc" -ne 0 ] && ! grep -q CONFIRMED "$T/out"; then ok "corpus outside the folder refused"
else not_ok "path escape" "exit $rc" "$(cat "$T/out" "$T/err")"; fi
mk '{source: contamination, eval: amc23.jsonl, corpus: [missing.jsonl]}'
expect_exit "missing corpus: unverifiable, exit 0" 0 "$REFEREE" check "$T/ex"
expect_out_match "UNVERIFIABLE" 'UNVERIFIABLE'
mk '{source: contamination, eval: amc23.jsonl, corpus: [rl-prompts.jsonl], n: 2}'
expect_exit "n out of range: exit 2" 2 "$REFEREE" check "$T/ex"
done_testing
