#!/usr/bin/env bash
# Benchmark contamination: n-gram overlap with the released training data, and the claims it backs
set -euo pipefail
EX=manifests/contamination
echo "\$ referee contamination --eval $EX/amc23.jsonl $EX/sft.jsonl $EX/rl-prompts.jsonl"
set +e
"$REFEREE" contamination --eval "$EX/amc23.jsonl" "$EX/sft.jsonl" "$EX/rl-prompts.jsonl"
rc=$?
set -e
echo "(exit $rc: AMC 2023 problems are in the RL prompts)"
[ "$rc" -eq 1 ]
echo
echo "\$ referee check $EX --explain"
set +e
"$REFEREE" check "$EX" --explain
rc=$?
set -e
echo "(exit $rc: the SFT claim is CONFIRMED, the RL-prompt claim INCONSISTENT)"
[ "$rc" -eq 1 ]
MPIBIN=$(dirname "$REFEREE")/referee-mpi
if [ -x "$MPIBIN" ] && command -v mpirun > /dev/null; then
  echo
  echo "\$ mpirun -np 2 referee-mpi contamination ... (the same report from 2 ranks)"
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
  "$REFEREE" contamination --eval "$EX/amc23.jsonl" "$EX/sft.jsonl" "$EX/rl-prompts.jsonl" \
    > "$DEMO_DIR/contam-1.txt" || true
  mpirun -np 2 --oversubscribe "$MPIBIN" contamination --eval "$EX/amc23.jsonl" \
    "$EX/sft.jsonl" "$EX/rl-prompts.jsonl" > "$DEMO_DIR/contam-2.txt" 2> /dev/null || true
  cmp "$DEMO_DIR/contam-1.txt" "$DEMO_DIR/contam-2.txt" && echo "identical to the one-process report"
fi
