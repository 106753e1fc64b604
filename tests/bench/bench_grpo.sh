#!/usr/bin/env bash
# GRPO throughput: referee replay (C) against the same model and GRPO step in
# PyTorch (tests/py/grpo_torch.py bench, Debian's torch under /usr/bin/python3)
# at the same thread count, run side by side.  Prints steps/s, sampled
# tokens/s, the ratios, and referee's approximate GFLOP/s against the CPU's
# peak, for the tiny-grpo showcase's size class and the 1.2M-parameter
# policy of manifests/add3-grpo and manifests/countdown-grpo, on each
# recipe's task (3-digit addition, Countdown).  Env: REFEREE,
# BENCH_DIR, GRPO_BENCH_STEPS (default 10), GRPO_BENCH_THREADS (default
# "1 2"), GRPO_BENCH_MODELS (default "tiny add3 countdown").
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${REFEREE:=$PWD/build/referee}" "${BENCH_DIR:=$PWD/build/bench}"
STEPS=${GRPO_BENCH_STEPS:-10}
THREADS=${GRPO_BENCH_THREADS:-1 2}
SYSPY=/usr/bin/python3
D=$BENCH_DIR/grpo
mkdir -p "$D"
now() { date +%s.%N; }
peak_per_core() { # GFLOP/s of one core: MHz x FP32 FLOP per cycle
  local mhz fl=16
  mhz=$(awk -F: '/^cpu MHz/ {print $2; exit}' /proc/cpuinfo)
  # two 256-bit FMA pipes (AVX2+FMA, and AVX-512 on double-pumped cores):
  # 2 x 8 lanes x 2 FLOP; SSE only: 2 x 4 x 2
  grep -qw fma /proc/cpuinfo && fl=32
  awk -v m="${mhz:-0}" -v f=$fl 'BEGIN {printf "%.1f", m * f / 1000}'
}
have_torch=1
"$SYSPY" -c "import torch" 2>/dev/null || have_torch=0
# bench NAME C L NH F DIGITS PLEN MAXLEN [TASK]: one model, both implementations
# (TASK: the recipe's task mapping; default n-digit reversed addition)
bench() {
local name=$1 C=$2 L=$3 NH=$4 F=$5 DIG=$6 PLEN=$7 MAXLEN=$8
local task=${9:-"{name: add, digits: $DIG, reversed: true}"}
cat >"$D/bench.yaml" <<YAML
kind: replay-recipe
schema: 1
seed: 1
task: $task
model: {d-model: $C, layers: $L, heads: $NH, d-ff: $F}
grpo: {steps: $STEPS, prompts-per-step: 16, group-size: 8, learning-rate: 1e-4,
       kl-coef: 0.04, inner-updates: 1, max-length: $MAXLEN}
eval: {size: 1, every: 0}
YAML
echo "-- $name: V 21, C $C, $L layers, $NH heads, d_ff $F; 16 prompts x 8 samples; prompt $PLEN tokens, up to $MAXLEN completion tokens"
printf '%-8s %-10s %10s %12s %10s %14s\n' threads impl steps/s tokens/s GFLOP/s "% of peak"
for t in $THREADS; do
  rm -rf "$D/out"
  t0=$(now)
  "$REFEREE" replay "$D/bench.yaml" --out "$D/out" -j "$t" --quiet >/dev/null
  t1=$(now)
  read -r c_sps c_tps c_gf <<<"$(python3 - "$D/out/log.jsonl" "$t0" "$t1" "$C" "$L" "$F" "$PLEN" <<'PY'
import json, sys
rows, steps, tok, flops = 16 * 8, 0, 0.0, 0.0
V = 21
C, L, F, plen = (int(x) for x in sys.argv[4:8])
per_tok = 2 * (L * (4 * C * C + 2 * C * F) + C * V)  # matmul FLOP per token, forward
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("type") != "grpo":
        continue
    steps += 1
    n = o["completion_len"] * rows
    tok += n
    train = rows * plen + n - rows          # teacher-forced tokens
    flops += per_tok * (rows * plen + n      # decoding (KV cache)
                        + train              # reference forward
                        + 3 * train)         # forward + backward
dt = float(sys.argv[3]) - float(sys.argv[2])
print("%.4f %.1f %.3f" % (steps / dt, tok / dt, flops / dt / 1e9))
PY
)"
  peak=$(awk -v p="$(peak_per_core)" -v t="$t" 'BEGIN {printf "%.1f", p * t}')
  pct=$(awk -v g="$c_gf" -v p="$peak" 'BEGIN {if (p > 0) printf "%.2f%% of %.0f", 100 * g / p, p; else print "?"}')
  printf '%-8s %-10s %10s %12s %10s %14s\n' "$t" referee "$c_sps" "$c_tps" "$c_gf" "$pct"
  if [ $have_torch = 1 ]; then
    # the same thread budget for PyTorch's own pool and its BLAS's
    j=$(OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t MKL_NUM_THREADS=$t \
        "$SYSPY" tests/py/grpo_torch.py bench --threads "$t" --steps "$STEPS" \
        --d-model "$C" --layers "$L" --heads "$NH" --d-ff "$F" \
        --prompt-len "$PLEN" --max-len "$MAXLEN" --prompts 16 --group 8)
    read -r p_sps p_tps <<<"$(python3 -c 'import json,sys; o=json.loads(sys.argv[1]); print("%.4f %.1f" % (o["steps_per_s"], o["tokens_per_s"]))' "$j")"
    printf '%-8s %-10s %10s %12s\n' "$t" pytorch "$p_sps" "$p_tps"
    awk -v a="$c_sps" -v b="$p_sps" -v c="$c_tps" -v d="$p_tps" -v t="$t" \
      'BEGIN {printf "%-8s %-10s %9.2fx %11.2fx   (referee / PyTorch; target >= 2x)\n", t, "ratio", a / b, c / d}'
  else
    echo "pytorch: not available under $SYSPY (skipped)"
  fi
done
}
for m in ${GRPO_BENCH_MODELS:-tiny add3 countdown}; do
  case $m in
    # the tiny-grpo showcase's size class (2-digit addition)
    tiny) bench tiny 64 2 4 256 2 7 6 ;;
    # manifests/add3-grpo's policy (1.19M parameters, 3-digit addition)
    add3) bench add3 128 6 4 512 3 9 7 ;;
    # manifests/countdown-grpo's policy: the same 1.19M parameters on
    # Countdown (3 numbers 1..9, targets to 30: 10 prompt tokens, up to 10
    # completion tokens)
    countdown) bench countdown 128 6 4 512 0 10 10 "{name: countdown, numbers: 3, max-number: 9, max-target: 30}" ;;
  esac
done
