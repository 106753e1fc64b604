#!/usr/bin/env bash
# make bench: the replay's policy model (lib/replay/gpt.c) against PyTorch
# running the same model and the same steps (tests/bench/bench_model.py) on
# this machine with the same thread count: a training step (forward,
# log-probs, backward, grad clip, AdamW) and KV-cache sampling, as tokens/s,
# ratios referee/PyTorch, and achieved GFLOP/s against an estimated peak.
# Size: BENCH_MODEL_SIZE="B T C L NH V" (default the replay-sized model
# "64 64 128 4 4 32": 64 sequences of 64 tokens, d_model 128, 4 layers, 4
# heads, vocab 32, d_ff 4C).  Results also go to $BENCH_DIR/bench_model.jsonl.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BENCH_DIR=${BENCH_DIR:-$PWD/$BUILD/bench}
SYSPY=${SYSPY:-/usr/bin/python3}
SIZE=${BENCH_MODEL_SIZE:-"64 64 128 4 4 32"}
mkdir -p "$BENCH_DIR"
out="$BENCH_DIR/bench_model.jsonl"
: >"$out"

# Same flags as the library: -O2, no -march, no -ffast-math.
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -pthread -Iinclude -Ilib \
  -o "$BENCH_DIR/bench_model" tests/bench/bench_model.c "$BUILD/libreferee.a" \
  $(pkg-config --libs libgit2 openssl yaml-0.1 jansson) -lm -ldl

have_torch=0
if [ -x "$SYSPY" ] && "$SYSPY" -c 'import torch' 2>/dev/null; then have_torch=1; fi

ncpu=$(nproc 2>/dev/null || echo 1)
threads="1"
[ "$ncpu" -gt 1 ] && threads="1 $ncpu"
for th in $threads; do
  # shellcheck disable=SC2086
  "$BENCH_DIR/bench_model" "$th" $SIZE >>"$out"
  if [ "$have_torch" = 1 ]; then
    # shellcheck disable=SC2086
    OMP_NUM_THREADS=$th "$SYSPY" tests/bench/bench_model.py "$th" $SIZE >>"$out"
  fi
done

mhz=$(awk -F: '/^cpu MHz/ {print $2; exit}' /proc/cpuinfo 2>/dev/null | tr -d ' ')
model=$(awk -F: '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null | sed 's/^ *//')
blas=$(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || echo unknown)

"${SYSPY}" - "$out" "${mhz:-0}" "$model" "$have_torch" "$blas" <<'PY'
import json, sys
path, mhz, model, have_torch, blas = sys.argv[1], float(sys.argv[2] or 0), sys.argv[3], sys.argv[4], sys.argv[5]
rows = [json.loads(l) for l in open(path)]
ours = {r["threads"]: r for r in rows if r["impl"] == "referee"}
theirs = {r["threads"]: r for r in rows if r["impl"].startswith("pytorch")}
r0 = next(iter(ours.values()))
print("model: B=%d T=%d C=%d L=%d NH=%d V=%d d_ff=4C, %d parameters" %
      (r0["B"], r0["T"], r0["C"], r0["L"], r0["NH"], r0["V"], r0["params"]))
print("cpu: %s at %.0f MHz; PyTorch BLAS: %s" % (model or "?", mhz, blas))
# Peak: clock x 32 fp32 flop/cycle per core = two 8-wide FMA pipes (AVX2/FMA
# class cores).  referee issues separate 8-wide multiplies and adds (no FMA,
# so that results do not depend on the CPU): on cores whose adds and
# multiplies share two pipes its ceiling is half that.
peak1 = mhz * 1e-3 * 32
for th in sorted(ours):
    o = ours[th]
    print("threads=%d  referee: train %.0f tok/s (%.3f s/step wall, %.3f s CPU), %.2f GFLOP/s; "
          "sample %.0f tok/s (%.3f s wall, %.3f s CPU), %.2f GFLOP/s" %
          (th, o["train_tok_s"], o["train_step_s"], o["train_cpu_s"], o["train_gflops"],
           o["sample_tok_s"], o["sample_s"], o["sample_cpu_s"], o["sample_gflops"]))
    # per CPU-second: what the code achieves on the cores it actually got
    # (the machine may be shared); peak is per core
    tc = o["train_gflops"] * o["train_step_s"] / o["train_cpu_s"]
    sc = o["sample_gflops"] * o["sample_s"] / o["sample_cpu_s"]
    print("           per CPU-second: train %.2f GFLOP/s, sample %.2f GFLOP/s" % (tc, sc))
    if peak1:
        print("           vs est. peak %.0f GFLOP/s per core (%.2f GHz x 32 flop/cycle): "
              "train %.1f%%, sample %.1f%% (per CPU-second)" %
              (peak1, mhz * 1e-3, 100 * tc / peak1, 100 * sc / peak1))
    t = theirs.get(th)
    if t:
        print("           %s: train %.0f tok/s (%.3f s wall, %.3f s CPU); sample %.0f tok/s "
              "(%.3f s wall, %.3f s CPU)" %
              (t["impl"], t["train_tok_s"], t["train_step_s"], t["train_cpu_s"],
               t["sample_tok_s"], t["sample_s"], t["sample_cpu_s"]))
        print("           ratio referee/PyTorch: train %.2fx (CPU time %.2fx), sample %.2fx "
              "(CPU time %.2fx)" %
              (o["train_tok_s"] / t["train_tok_s"], t["train_cpu_s"] / o["train_cpu_s"],
               o["sample_tok_s"] / t["sample_tok_s"], t["sample_cpu_s"] / o["sample_cpu_s"]))
if have_torch != "1":
    print("PyTorch baseline skipped: %s cannot import torch" % "/usr/bin/python3")
PY
