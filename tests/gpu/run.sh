#!/usr/bin/env bash
# The GPU check of the CUDA replay backend, in one script for a fresh NVIDIA
# machine (budget: 8 minutes).  Builds (make CUDA=1), runs the CUDA tests
# (CPU vs CUDA on one forward/backward, <= 1e-4; KV-cache decoding; GPU
# determinism; referee replay --device cuda), compares tiny-grpo logs CPU vs
# GPU step by step and GPU vs GPU bit for bit, and benchmarks sampled
# tokens/s and GRPO steps/s: CUDA backend vs CPU backend vs PyTorch eager on
# the same GPU.  Everything lands in OUTDIR (at most 8 files):
#   summary.md  the figures      run.log    everything printed
#   env.txt     GPU, driver, compilers      tests.tap  the CUDA tests
#   replay.json CPU-vs-GPU log comparison   bench.jsonl one line per run
#
#   tests/gpu/run.sh OUTDIR
# (For trying the script itself without a GPU: RF_GPU_PREBUILT=1 skips the
# source build, RF_GPU_NO_BENCH=1 the benchmark, RF_GPU_LARGE/RF_GPU_MEDIUM
# replace the benchmark sizes; with REFEREE_CUDA_MODULE and
# RF_TEST_CUDA_MODULE naming the CPU emulator's module, every step runs.)
# Builds from source when the C dependencies are installed (make deps needs
# no network when they are); otherwise uses tests/gpu/prebuilt/ made by
# tests/gpu/prepare.sh on a development machine (carried along), and still
# rebuilds the CUDA module here with this machine's nvcc.
set -u
OUT=${1:?usage: tests/gpu/run.sh OUTDIR}
cd "$(dirname "$0")/../.."
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
exec > >(tee "$OUT/run.log") 2>&1
T0=$SECONDS
NPROC=$(nproc 2>/dev/null || echo 4)
TOL=${RF_CUDA_TOLERANCE:-1e-3}
PY=python3
# PyTorch for the baseline: the python3 that imports it (the GPU image's
# python3 does); the benchmark skips it, saying why, when none does.
TORCHPY=python3
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import torch' 2>/dev/null; then TORCHPY=$p; break; fi
done
say() { echo "== [$((SECONDS - T0))s] $*"; }
timed() { # FILE CMD...: CMD's wall seconds into FILE
  local f=$1 t rc
  shift
  t=$(date +%s.%N)
  "$@"
  rc=$?
  echo "$(date +%s.%N) $t" | awk '{printf "%.2f\n", $1 - $2}' >"$f"
  return $rc
}
left() { echo $((470 - (SECONDS - T0))); } # seconds left of the budget
SUM="$OUT/summary.md"
{
  echo "# CUDA replay backend: GPU check ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
} >"$SUM"
note() { echo "$*" | tee -a "$SUM"; }

say "environment"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || echo "no nvidia-smi"
  command -v nvcc >/dev/null && nvcc --version | tail -2
  cc --version | head -1
  uname -srm
  $PY -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1 | tail -1
  echo "cpus $NPROC"
} >"$OUT/env.txt" 2>&1
cat "$OUT/env.txt"
note "- GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1); CPUs: $NPROC"

# ---- build ------------------------------------------------------------
say "build"
BUILD=build
built=0
# make deps only when something is missing: the machine may have no network,
# and apt or pip would spend the budget retrying
if ! pkg-config --exists libgit2 openssl yaml-0.1 jansson cmocka 2>/dev/null; then
  timeout 45 make deps >/dev/null 2>&1 || echo "(make deps could not install everything; going on)"
fi
if [ "${RF_GPU_PREBUILT:-0}" != 1 ] &&
   timeout 300 make -j"$NPROC" CUDA=1 all unit >"$OUT/build.tmp" 2>&1; then
  built=1
  note "- built from source with make CUDA=1 ($((SECONDS - T0)) s)"
else
  tail -5 "$OUT/build.tmp"
  if [ -x tests/gpu/prebuilt/referee ]; then
    BUILD=tests/gpu/prebuilt # its programs find their libraries by RPATH
    if command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ]; then
      rm -f "$BUILD/referee-cuda.so"
      timeout 200 make CUDA=1 BUILD="$BUILD" "$BUILD/referee-cuda.so" >>"$OUT/build.tmp" 2>&1 ||
        { note "- FAILED: nvcc could not build the CUDA module"; tail -20 "$OUT/build.tmp"; exit 1; }
    fi
    note "- C dependencies missing here: used tests/gpu/prebuilt (CUDA module built here)"
  else
    note "- FAILED: build (C dependencies missing and no tests/gpu/prebuilt): $(grep -m1 -E 'error|fatal' "$OUT/build.tmp")"
    exit 1
  fi
fi
rm -f "$OUT/build.tmp"
if [ "$built" = 1 ]; then
  ${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Ilib -o build/bench_gpt tests/gpu/bench_gpt.c \
    build/libreferee.a $(pkg-config --libs libgit2 openssl yaml-0.1 jansson 2>/dev/null) -lm -ldl -pthread ||
    note "- bench_gpt did not build"
fi
# cuBLAS: the module's rpath names nvcc's lib64; else torch's pip wheel
if ldd "$BUILD/referee-cuda.so" 2>/dev/null | grep -q "not found"; then
  d=$($PY -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null)
  [ -n "$d" ] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
ldd "$BUILD/referee-cuda.so" | grep -E "cublas|not found"
REFEREE="$PWD/$BUILD/referee"
export REFEREE

# ---- tests -------------------------------------------------------------
say "CUDA tests"
: >"$OUT/tests.tap"
for t in test_backend test_gpt_cuda; do
  echo "# $t" >>"$OUT/tests.tap"
  CMOCKA_MESSAGE_OUTPUT=TAP timeout 120 "$BUILD/tests/$t" >>"$OUT/tests.tap" 2>&1
  echo "# exit $?" >>"$OUT/tests.tap"
done
echo "# test_replay_cuda.sh" >>"$OUT/tests.tap"
RF_CUDA_TOLERANCE=$TOL timeout 120 bash tests/cli/test_replay_cuda.sh >>"$OUT/tests.tap" 2>&1
echo "# exit $?" >>"$OUT/tests.tap"
cat "$OUT/tests.tap"
npass=$(grep -E '^ok [0-9]+' "$OUT/tests.tap" | grep -cvE '# (SKIP|skip)')
nskip=$(grep -cE '# (SKIP|skip)' "$OUT/tests.tap")
nfail=$(grep -E '^not ok [0-9]+' "$OUT/tests.tap" | grep -cvE '# (SKIP|skip)')
note "- $(grep -m1 -E '^# (CUDA device 0|no CUDA device here)' "$OUT/tests.tap" | sed 's/^# //')"
note "- CUDA tests: $npass ok, $nfail failed, $nskip skipped"
note "- CPU vs CUDA, one forward/backward/clip/AdamW and decoding: $(grep -m1 'worst relative error' "$OUT/tests.tap" | sed 's/^# //')"

# ---- replay logs: GPU (twice), CPU once ----------------------------------
R=$(mktemp -d)
echo '{"runs": [' >"$OUT/replay.json.tmp"
sep=""
replay_recipe() { # RECIPE GPU-RUNS GPU-TIMEOUT CPU-TIMEOUT
  local recipe=$1 nruns=$2 gto=$3 cto=$4 name same agree run
  name=$(basename "$recipe" .yaml)
  say "replay $name"
  for run in $(seq 1 "$nruns"); do
    timed "$R/$name-gpu$run.time" timeout "$gto" "$REFEREE" replay "$recipe" \
      --out "$R/$name-gpu$run" --device cuda --quiet || note "- replay $name on GPU (run $run) FAILED"
  done
  timed "$R/$name-cpu.time" timeout "$cto" "$REFEREE" replay "$recipe" \
    --out "$R/$name-cpu" -j "$NPROC" --quiet || note "- replay $name on CPU FAILED"
  same="n/a (one GPU run)"
  if [ "$nruns" -gt 1 ]; then
    same=NO
    if [ -f "$R/$name-gpu1/log.jsonl" ] && cmp -s "$R/$name-gpu1/log.jsonl" "$R/$name-gpu2/log.jsonl" &&
       [ "$(grep weights_sha256 "$R/$name-gpu1/summary.json")" = "$(grep weights_sha256 "$R/$name-gpu2/summary.json")" ]; then
      same=yes
    fi
  fi
  $PY tests/gpu/compare_logs.py "$R/$name-cpu/log.jsonl" "$R/$name-gpu1/log.jsonl" \
    --tolerance "$TOL" --json "$R/$name-cmp.json" | tee "$R/$name-cmp.txt"
  agree=$(tail -1 "$R/$name-cmp.txt")
  note "- replay $name: GPU runs identical (log and weights digest): $same; CPU vs GPU step by step: $agree; wall s GPU $(cat "$R/$name-gpu1.time" 2>/dev/null), CPU -j$NPROC $(cat "$R/$name-cpu.time" 2>/dev/null)"
  { printf '%s{"recipe": "%s", "gpu_runs_identical": "%s", "gpu_s": "%s", "cpu_s": "%s", "summary_gpu": ' \
      "$sep" "$recipe" "$same" "$(cat "$R/$name-gpu1.time" 2>/dev/null)" "$(cat "$R/$name-cpu.time" 2>/dev/null)"
    cat "$R/$name-gpu1/summary.json" 2>/dev/null || echo null
    printf ', "compare": '
    cat "$R/$name-cmp.json" 2>/dev/null || echo null
    echo "}"; } >>"$OUT/replay.json.tmp"
  sep=","
}
replay_recipe manifests/tiny-grpo/test.yaml 2 150 200

# ---- benchmark -----------------------------------------------------------
say "benchmark"
[ "${RF_GPU_NO_BENCH:-0}" = 1 ] && NO_BENCH=1 || NO_BENCH=0
BENCH=$BUILD/bench_gpt
: >"$OUT/bench.jsonl"
# large: fills the GPU (1024 sequences of 128 tokens, 25M parameters)
LARGE=${RF_GPU_LARGE:-"--vocab 64 --d-model 512 --layers 8 --heads 8 --ff 2048 --prompts 64 --group 16 --prompt-len 32 --gen-len 96"}
# medium: small enough for the CPU backend to take part
MEDIUM=${RF_GPU_MEDIUM:-"--vocab 64 --d-model 256 --layers 4 --heads 8 --ff 1024 --prompts 16 --group 8 --prompt-len 16 --gen-len 48"}
bench() { # label timeout cmd...
  local label=$1 to=$2
  shift 2
  [ "$NO_BENCH" = 1 ] && return
  if [ "$(left)" -lt "$to" ]; then
    echo "{\"label\": \"$label\", \"skipped\": \"not enough time left\"}" >>"$OUT/bench.jsonl"
    return
  fi
  local line rc why
  timeout "$to" "$@" >"$OUT/bench.out" 2>"$OUT/bench.err"
  rc=$?
  line=$(tail -1 "$OUT/bench.out")
  why=$(head -c 200 "$OUT/bench.err" | tr '"\n\\' "'  ")
  if [ "$rc" -eq 0 ] && [ "${line#\{}" != "$line" ]; then
    echo "{\"label\": \"$label\", ${line#\{}" >>"$OUT/bench.jsonl"
  elif [ "$rc" -eq 77 ]; then
    echo "{\"label\": \"$label\", \"skipped\": \"$why\"}" >>"$OUT/bench.jsonl"
  else
    echo "{\"label\": \"$label\", \"failed\": \"exit $rc: $why\"}" >>"$OUT/bench.jsonl"
  fi
  tail -1 "$OUT/bench.jsonl"
}
bench large-cuda 120 "$BENCH" --device cuda $LARGE --steps 3 --warmup 1
bench large-cuda-again 120 "$BENCH" --device cuda $LARGE --steps 3 --warmup 1
bench large-torch 180 $TORCHPY tests/gpu/torch_grpo_bench.py --device cuda $LARGE --steps 3 --warmup 1
bench medium-cuda 60 "$BENCH" --device cuda $MEDIUM --steps 5 --warmup 1
bench medium-torch 90 $TORCHPY tests/gpu/torch_grpo_bench.py --device cuda $MEDIUM --steps 5 --warmup 1
bench medium-cpu 150 "$BENCH" --device cpu --threads "$NPROC" $MEDIUM --steps 1 --warmup 0
rm -f "$OUT/bench.err" "$OUT/bench.out"
$PY - "$OUT/bench.jsonl" <<'EOF' | tee -a "$SUM"
import json, sys
rows = {}
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    rows[r.get("label")] = r
def fig(label, key):
    r = rows.get(label) or {}
    return r.get(key)
print()
print("| run | sampled tokens/s | GRPO steps/s | train GFLOP/s | params digest |")
print("| --- | ---: | ---: | ---: | --- |")
for k in ["large-cuda", "large-cuda-again", "large-torch", "medium-cuda", "medium-torch", "medium-cpu"]:
    r = rows.get(k)
    if not r:
        continue
    if "tokens_per_s" not in r:
        print("| %s | %s | | | |" % (k, r.get("skipped") or r.get("failed")))
        continue
    print("| %s | %.0f | %.3f | %.0f | %s |" % (k, r["tokens_per_s"], r["steps_per_s"],
          r.get("train_gflops", 0), r.get("params_fnv64", "-")))
print()
for size in ["large", "medium"]:
    for base in ["torch", "cpu"]:
        a, b = "%s-cuda" % size, "%s-%s" % (size, base)
        if fig(a, "tokens_per_s") and fig(b, "tokens_per_s"):
            print("- %s: CUDA backend vs %s: %.2fx sampled tokens/s, %.2fx GRPO steps/s" % (
                size, "PyTorch eager (same GPU)" if base == "torch" else "CPU backend",
                fig(a, "tokens_per_s") / fig(b, "tokens_per_s"), fig(a, "steps_per_s") / fig(b, "steps_per_s")))
a, b = rows.get("large-cuda") or {}, rows.get("large-cuda-again") or {}
if a.get("params_fnv64"):
    print("- two GPU benchmark runs, same final parameters: %s" % ("yes" if a.get("params_fnv64") == b.get("params_fnv64") else "NO"))
EOF
# the full tiny-grpo recipe, when there is one and time is left
big=$(ls manifests/tiny-grpo/*.yaml 2>/dev/null | grep -v '/test.yaml$' | head -1)
if [ -n "$big" ]; then
  if [ "$(left)" -ge 280 ]; then
    replay_recipe "$big" 1 100 170
  else
    note "- replay $(basename "$big" .yaml): skipped, $(left) s of the budget left"
  fi
fi
echo "]}" >>"$OUT/replay.json.tmp"
mv "$OUT/replay.json.tmp" "$OUT/replay.json"
rm -rf "$R"
say "done in $((SECONDS - T0)) s"
note "- total wall time $((SECONDS - T0)) s"
if ! grep -q '^# CUDA device 0' "$OUT/tests.tap"; then
  note "- NO GPU WAS USED: the CUDA checks above did not run"
  exit 1
fi
[ "$nfail" -eq 0 ]
