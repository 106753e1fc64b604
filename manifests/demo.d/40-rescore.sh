#!/usr/bin/env bash
# Re-scoring real model outputs: rule-based rewards, pass@k, and the claims they back
set -euo pipefail
EX=manifests/qwen-math-cot
echo "\$ referee rescore $EX/rollouts.jsonl --samples samples.jsonl"
"$REFEREE" rescore "$EX/rollouts.jsonl" --samples "$DEMO_DIR/qwen-math-cot.samples.jsonl"
echo
echo "two of the 640 per-sample verdicts:"
sed -n '1p;17p' "$DEMO_DIR/qwen-math-cot.samples.jsonl"
echo
echo "\$ referee check $EX"
"$REFEREE" check "$EX"
echo
echo "a reviewer's catch: the same outputs do not support an inflated pass@1"
rm -rf "$DEMO_DIR/qwen-inflated"
cp -r "$EX" "$DEMO_DIR/qwen-inflated"
sed -i 's/92.2%/94.0%/g' "$DEMO_DIR/qwen-inflated/claims.yaml"
set +e
"$REFEREE" check "$DEMO_DIR/qwen-inflated" --explain 2>&1 | sed -n '1,12p'
rc=${PIPESTATUS[0]}
set -e
echo "(exit $rc: a claim is INCONSISTENT)"
[ "$rc" -eq 1 ]
