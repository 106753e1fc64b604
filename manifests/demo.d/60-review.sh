#!/usr/bin/env bash
# The reviewer's one command: referee review on a bundle, with every report
# A clean bundle (V3's ledger, the re-scored Qwen outputs, the tiny GRPO
# replay) reviews with exit 0; a copy with one changed byte with exit 1; a
# bundle holding a malformed manifest with exit 2.  Every report file (HTML,
# JSON, JUnit, Markdown) is written in all three cases.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${REFEREE:=$PWD/build/referee}"
: "${DEMO_DIR:=$PWD/build/demo}"
D=$DEMO_DIR/review
rm -rf "$D" && mkdir -p "$D"
say() { printf '\n$ %s\n' "$*"; }
reports() { echo --html "$D/$1.html" --json "$D/$1.json" --junit "$D/$1.junit.xml" --markdown "$D/$1.md"; }

"$REFEREE" pack -q --allow-dirty "$D/clean" manifests/deepseek-v3 manifests/qwen-math-cot manifests/tiny-grpo
say referee review "$D/clean" --html clean.html --json clean.json --junit clean.junit.xml --markdown clean.md
set +e
"$REFEREE" review "$D/clean" $(reports clean)
clean=$?
set -e
echo "(exit $clean)"

cp -r "$D/clean" "$D/tampered"
printf 'X' | dd of="$D/tampered/data/manifests/qwen-math-cot/rollouts.jsonl" bs=1 seek=100 conv=notrunc 2>/dev/null
say referee review "$D/tampered" "# one byte of the rollouts changed"
set +e
"$REFEREE" review "$D/tampered" $(reports tampered)
tampered=$?
set -e
echo "(exit $tampered)"

mkdir -p "$D/src/paper"
cp manifests/deepseek-v3/*.yaml "$D/src/paper/"
printf 'kind: claims\nschema: 1\nclaims:\n  - id: [unclosed\n' > "$D/src/paper/claims.yaml"
(cd "$D/src" && "$REFEREE" pack -q --allow-dirty "$D/malformed" paper)
say referee review "$D/malformed" "# a claims manifest that is not valid YAML"
set +e
"$REFEREE" review "$D/malformed" $(reports malformed)
malformed=$?
set -e
echo "(exit $malformed)"

echo
echo "review exit codes: clean $clean, tampered $tampered, malformed manifest $malformed"
ls -1 "$D"/*.html "$D"/*.json "$D"/*.junit.xml "$D"/*.md | sed "s|$D/|  |"
[ "$clean" -eq 0 ] && [ "$tampered" -eq 1 ] && [ "$malformed" -eq 2 ]
for r in clean tampered malformed; do
  for ext in html json junit.xml md; do [ -s "$D/$r.$ext" ]; done
done
