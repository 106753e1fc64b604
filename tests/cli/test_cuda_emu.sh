#!/usr/bin/env bash
# The CUDA backend's own source (lib/replay/cuda/gpt_cuda.cu), compiled for
# the CPU against tests/gpu/emu (a CUDA + cuBLAS emulator: fibers for
# threads, barriers and warp shuffles; guard pages after device buffers;
# the plain cuBLAS definitions with their leading-dimension checks), run
# through the real loader and trainer where no GPU is at hand: CPU vs
# "device" on one forward/backward (<= 1e-4), decoding, AdamW, determinism,
# and referee replay --device cuda against the CPU log.  What it cannot
# show: timing, real cuBLAS, real memory ordering -- tests/gpu/run.sh does.
. "$(dirname "$0")/lib.sh"

BUILD=${BUILD:-build}
CXX=${CXX:-c++}
RECIPE="$REPO_DIR/manifests/tiny-grpo/test.yaml"
TOL=1e-3

case "$REFEREE" in
*build-san*)
  # fibers switch stacks under AddressSanitizer's feet
  skip "CUDA emulator" "not under sanitizers (fibers switch stacks)"
  done_testing ;;
esac
if ! command -v "$CXX" >/dev/null; then
  skip "CUDA emulator" "no C++ compiler"
  done_testing
fi
EMU="$T/referee-cuda-emu.so"
if "$CXX" -std=c++17 -O1 -fPIC -shared -DRF_CUDA_EMU -Wall -Wextra -Wno-unused-parameter \
     -I"$REPO_DIR/tests/gpu/emu" -I"$REPO_DIR/include" -I"$REPO_DIR/lib" \
     -x c++ "$REPO_DIR/lib/replay/cuda/gpt_cuda.cu" -x none "$REPO_DIR/tests/gpu/emu/cuda_emu.cc" \
     -Wl,--version-script="$REPO_DIR/lib/replay/cuda/exports.map" -o "$EMU" 2>"$T/cc.err"; then
  ok "gpt_cuda.cu compiles for the emulator"
else
  not_ok "gpt_cuda.cu compiles for the emulator" "$(head -20 "$T/cc.err")"
  done_testing
fi

UT="$REPO_DIR/$BUILD/tests/test_gpt_cuda"
[ -x "$UT" ] || UT="$BUILD/tests/test_gpt_cuda"
RF_TEST_CUDA_MODULE="$EMU" CMOCKA_MESSAGE_OUTPUT=TAP run "$UT"
if [ "$rc" -eq 0 ] && ! grep -q "SKIP" "$T/out" && [ "$(grep -c '^ok ' "$T/out")" -ge 6 ]; then
  ok "CPU vs emulated CUDA: $(grep -m1 'worst relative error' "$T/out" | sed 's/^# //')"
else
  not_ok "CPU vs emulated CUDA (test_gpt_cuda)" "rc $rc" "$(grep -E 'FAIL|not ok|SKIP' "$T/out" | head)" "$(tail -3 "$T/err")"
fi

export REFEREE_CUDA_MODULE="$EMU"
expect_exit "replay on the emulated device" 0 "$REFEREE" replay "$RECIPE" --out "$T/e1" --device cuda --quiet
expect_exit "and again" 0 "$REFEREE" replay "$RECIPE" --out "$T/e2" --device cuda --quiet
if cmp -s "$T/e1/log.jsonl" "$T/e2/log.jsonl" && cmp -s "$T/e1/model.safetensors" "$T/e2/model.safetensors"; then
  ok "two device runs: identical log and weights"
else
  not_ok "two device runs: identical log and weights"
fi
expect_exit "the CPU run" 0 "$REFEREE" replay "$RECIPE" --out "$T/cpu" --quiet -j 2
expect_exit "device re-run of the CPU replay agrees within $TOL (--check --device cuda)" 0 \
  "$REFEREE" replay --check "$T/cpu" --device cuda --tolerance "$TOL" --quiet
if cmp -s "$T/cpu/log.jsonl" "$T/e1/log.jsonl"; then
  ok "device and CPU logs are bit-identical here"
elif cmpout=$(python3 "$REPO_DIR/tests/gpu/compare_logs.py" "$T/cpu/log.jsonl" "$T/e1/log.jsonl" --tolerance "$TOL"); then
  # sums in another order: within the stated tolerance, and say how far apart
  ok "device and CPU logs differ by float rounding only ($(echo "$cmpout" | tail -1))"
else
  not_ok "device and CPU logs agree within $TOL" "$cmpout"
fi
done_testing
