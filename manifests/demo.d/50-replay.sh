#!/usr/bin/env bash
# reward-RL replay: run the small GRPO recipe, re-run it with --check, audit a batch
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${REFEREE:=$PWD/build/referee}" "${DEMO_DIR:=$PWD/build/demo}"
D=$DEMO_DIR/replay
rm -rf "$D"
echo "\$ referee replay manifests/tiny-grpo/test.yaml --out $D/run --batches"
"$REFEREE" replay manifests/tiny-grpo/test.yaml --out "$D/run" --batches
echo "\$ tail -3 $D/run/log.jsonl"
tail -3 "$D/run/log.jsonl"
echo
echo "# a reviewer re-runs the author's replay (2 threads) and compares:"
echo "\$ referee replay --check $D/run -j 2"
"$REFEREE" replay --check "$D/run" -j 2
echo
echo "# an edited log is caught at the step where it was edited:"
cp -r "$D/run" "$D/edited"
sed -i -E '/"type":"grpo","step":3,/ s/"reward_mean":[0-9.e-]+/"reward_mean":0.9/' "$D/edited/log.jsonl"
echo "\$ referee replay --check $D/edited"
set +e
"$REFEREE" replay --check "$D/edited" --quiet
echo "(exit $?)"
set -e
echo
echo "# one logged GRPO batch, recomputed without the model:"
echo "\$ referee grpo audit $D/run/batches/step-000003-1.jsonl"
"$REFEREE" grpo audit "$D/run/batches/step-000003-1.jsonl"
echo
echo "# the showcase's claims, read from the author's replay shipped with it"
echo "# (re-running it: referee replay --check manifests/tiny-grpo/replay, ~25 s):"
echo "\$ referee check manifests/tiny-grpo"
"$REFEREE" check manifests/tiny-grpo
