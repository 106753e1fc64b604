#!/usr/bin/env bash
# Re-scoring what real tools write: verl, lm-evaluation-harness, chat dumps; a tampered aggregate caught
set -euo pipefail
F=tests/data/formats
echo "\$ referee rescore $F/verl/rollouts/1.jsonl        # format detected: verl"
"$REFEREE" rescore "$F/verl/rollouts/1.jsonl" --bootstrap 0
echo
echo "\$ referee check $F        # one claim per format, each from the tool's own files"
"$REFEREE" check "$F"
echo
echo "a reviewer's catch: a verl log whose step-2 mean reward was raised"
mkdir -p "$DEMO_DIR"
rm -rf "$DEMO_DIR/formats-tampered"
cp -r "$F" "$DEMO_DIR/formats-tampered"
cp "$F/verl/metrics-tampered.jsonl" "$DEMO_DIR/formats-tampered/verl/metrics.jsonl"
set +e
"$REFEREE" check "$DEMO_DIR/formats-tampered" --explain 2>&1 | grep -A8 '^verl-step-1-reward'
rc=${PIPESTATUS[0]}
set -e
echo "(exit $rc: the logged mean is not what its rollouts give)"
[ "$rc" -eq 1 ]
