#!/usr/bin/env bash
# long RL runs: checkpoints that resume byte for byte, and a spot-check of the shipped 3-digit-addition run
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${REFEREE:=$PWD/build/referee}" "${DEMO_DIR:=$PWD/build/demo}"
D=$DEMO_DIR/spot
rm -rf "$D"
mkdir -p "$D"
echo "\$ referee replay manifests/tiny-grpo/test.yaml --out $D/run --checkpoint-every 1 --quiet"
"$REFEREE" replay manifests/tiny-grpo/test.yaml --out "$D/run" --checkpoint-every 1 --quiet
echo "\$ ls $D/run/checkpoints $D/run/checkpoints/step-000002"
ls "$D/run/checkpoints" "$D/run/checkpoints/step-000002"
echo
echo "# the run dies after step 2; resumed from that checkpoint it ends where the"
echo "# uninterrupted run ends, byte for byte:"
echo "\$ referee replay --resume $D/run --from 2 --out $D/resumed --quiet"
"$REFEREE" replay --resume "$D/run" --from 2 --out "$D/resumed" --quiet
for f in log.jsonl model.safetensors checkpoints/index.json; do
  if cmp -s "$D/run/$f" "$D/resumed/$f"; then echo "$f: identical"; else echo "$f: DIFFERS"; exit 1; fi
done
echo
echo "# a reviewer re-runs every segment between checkpoints (here all 5):"
echo "\$ referee replay --check $D/run --segments all"
"$REFEREE" replay --check "$D/run" --segments all --quiet
echo
echo "# the author's 1.2M-parameter run on Countdown (manifests/countdown-grpo)"
echo "# ships its log, summary and checkpoint index, but, to keep the repository"
echo "# small, only the checkpoint after the warm-start: of its segments only the"
echo "# first GRPO one can be re-run here.  Seed 7 draws it (a reviewer of a real"
echo "# bundle, which carries every checkpoint, uses a seed of their own or none):"
echo "\$ referee replay --check manifests/countdown-grpo/replay --segments 1 --seed 7 -j 2"
"$REFEREE" replay --check manifests/countdown-grpo/replay --segments 1 --seed 7 -j 2 --quiet
echo
echo "# its claims (manifests/countdown-grpo/claims.yaml), derived from that run:"
echo "\$ referee check manifests/countdown-grpo"
"$REFEREE" check manifests/countdown-grpo
