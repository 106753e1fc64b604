#!/usr/bin/env bash
# make bench: the CUDA replay backend against two baselines run side by side
# on this machine -- the CPU backend and PyTorch eager on the same GPU --
# for one GRPO step of the same model (tests/gpu/bench_gpt.c and
# tests/gpu/torch_grpo_bench.py).  Skips, saying why, without a GPU.
# Sizes: BENCH_CUDA_ARGS (bench_gpt options); tests/gpu/run.sh runs a
# larger configuration too.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BENCH_DIR=${BENCH_DIR:-$BUILD/bench}
mkdir -p "$BENCH_DIR"
if [ ! -f "$BUILD/referee-cuda.so" ]; then
  echo "bench_cuda: skipped: CUDA module not built (no nvcc, or CUDA=0)"
  exit 0
fi
B="$BENCH_DIR/bench_gpt"
${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Ilib -o "$B" tests/gpu/bench_gpt.c \
  "$BUILD/libreferee.a" $(pkg-config --libs libgit2 openssl yaml-0.1 jansson) -lm -ldl -pthread || exit 1
ARGS=${BENCH_CUDA_ARGS:---vocab 64 --d-model 256 --layers 4 --heads 8 --ff 1024 --prompts 16 --group 8 --prompt-len 16 --gen-len 48}
if ! out=$("$B" --device cuda --module "$BUILD/referee-cuda.so" $ARGS --steps 1 --warmup 0 2>&1); then
  echo "bench_cuda: skipped: $(tail -1 <<<"$out" | sed 's/^bench_gpt: cuda: //')"
  exit 0
fi
cuda=$("$B" --device cuda --module "$BUILD/referee-cuda.so" $ARGS --steps 5 --warmup 1 | tail -1)
cpu=$("$B" --device cpu $ARGS --steps 1 --warmup 1 | tail -1)
TPY=python3; python3 -c "import torch" 2>/dev/null || TPY=/usr/bin/python3
torch=$($TPY tests/gpu/torch_grpo_bench.py --device cuda $ARGS --steps 5 --warmup 1 2>&1 | tail -1)
printf '%s\n%s\n%s\n' "$cuda" "$cpu" "$torch" | tee "$BENCH_DIR/cuda.jsonl"
python3 - "$cuda" "$cpu" "$torch" <<'PY'
import json, sys
def load(s):
    try:
        return json.loads(s)
    except ValueError:
        return None
cuda, cpu, torch = (load(s) for s in sys.argv[1:])
for name, base in (("CPU backend", cpu), ("PyTorch eager, same GPU", torch)):
    if not base or "tokens_per_s" not in base:
        print("bench_cuda: no %s figures" % name)
        continue
    print("bench_cuda: CUDA backend vs %s: %.2fx sampled tokens/s (%.0f vs %.0f), %.2fx GRPO steps/s (%.3f vs %.3f)" % (
        name, cuda["tokens_per_s"] / base["tokens_per_s"], cuda["tokens_per_s"], base["tokens_per_s"],
        cuda["steps_per_s"] / base["steps_per_s"], cuda["steps_per_s"], base["steps_per_s"]))
PY
