#!/usr/bin/env bash
# referee replay --device: the CUDA backend is a module loaded at run time.
# Without a GPU (or without the module) every way of asking for CUDA is a
# one-line error with exit 2 or 3 and nothing written; with a GPU the test
# recipe runs on it, twice identically, and agrees with the CPU run within
# the stated tolerance.
. "$(dirname "$0")/lib.sh"

RECIPE="$REPO_DIR/manifests/tiny-grpo/test.yaml"
MOD="$(dirname "$REFEREE")/referee-cuda.so"
# Step-by-step tolerance between CPU and CUDA logs (tests/gpu/run.sh too).
TOL=${RF_CUDA_TOLERANCE:-1e-3}

expect_exit "unknown device is bad usage" 2 "$REFEREE" replay "$RECIPE" --out "$T/x" --device gpu
expect_err_match "unknown device message" "^referee replay: unknown device 'gpu' \(expected cpu, cuda or cuda:N\)$"
expect_exit "cuda:N must be a number" 2 "$REFEREE" replay "$RECIPE" --out "$T/x" --device cuda:one
expect_exit "--device needs a value" 2 "$REFEREE" replay "$RECIPE" --out "$T/x" --device

REFEREE_CUDA_MODULE="$T/none.so" run "$REFEREE" replay "$RECIPE" --out "$T/x" --device cuda
if [ "$rc" -eq 2 ] && grep -qE "^referee replay: CUDA backend module '.*/none.so' not found$" "$T/err"; then
  ok "a missing module file: exit 2, one line"
else
  not_ok "a missing module file: exit 2, one line" "rc $rc" "$(cat "$T/err")"
fi
printf 'not a shared object\n' >"$T/bad.so"
REFEREE_CUDA_MODULE="$T/bad.so" run "$REFEREE" replay "$RECIPE" --out "$T/x" --device cuda
if [ "$rc" -eq 3 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "cannot load CUDA backend module" "$T/err"; then
  ok "a broken module: exit 3, one line"
else
  not_ok "a broken module: exit 3, one line" "rc $rc" "$(cat "$T/err")"
fi
[ ! -e "$T/x" ] && ok "nothing written when the device is refused" || not_ok "nothing written when the device is refused"

run "$REFEREE" replay "$RECIPE" --out "$T/gpu1" --device cuda --quiet
if [ ! -f "$MOD" ]; then
  # built without CUDA (CUDA=0, or no nvcc): a clear error, never a crash
  if [ "$rc" -eq 2 ] && grep -q "built without CUDA" "$T/err"; then
    ok "no module built: exit 2 says referee was built without CUDA"
  else
    not_ok "no module built: exit 2 says referee was built without CUDA" "rc $rc" "$(cat "$T/err")"
  fi
  skip "CUDA replay runs" "CUDA module not built"
  done_testing
fi
if [ "$rc" -eq 3 ] && grep -q "cannot load CUDA backend module.*lib[a-z]*\.so" "$T/err"; then
  # built here, but the CUDA libraries it needs are not installed
  ok "CUDA libraries missing: exit 3 with one line ($(cut -c1-60 "$T/err")...)"
  skip "CUDA replay runs" "CUDA libraries not installed"
  done_testing
fi
if [ "$rc" -ne 0 ]; then
  if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
     grep -qE "^referee replay: cuda: no CUDA device" "$T/err"; then
    ok "no GPU: exit 2 with one line ($(cut -c1-60 "$T/err")...)"
  else
    not_ok "no GPU: exit 2 with one line" "rc $rc" "$(cat "$T/err")"
  fi
  [ ! -e "$T/gpu1" ] && ok "nothing written without a GPU" || not_ok "nothing written without a GPU"
  skip "CUDA replay runs" "no CUDA device"
  done_testing
fi

# A GPU is here.
ok "the test recipe runs on the GPU"
expect_exit "a second GPU run" 0 "$REFEREE" replay "$RECIPE" --out "$T/gpu2" --device cuda --quiet
if cmp -s "$T/gpu1/log.jsonl" "$T/gpu2/log.jsonl" &&
   cmp -s "$T/gpu1/model.safetensors" "$T/gpu2/model.safetensors"; then
  ok "two GPU runs: identical log and weights"
else
  not_ok "two GPU runs: identical log and weights"
fi
expect_exit "a GPU run --checks bit for bit against another GPU run" 0 \
  "$REFEREE" replay --check "$T/gpu1" --device cuda --quiet
expect_exit "a CPU re-run --checks against the GPU run within $TOL" 0 \
  "$REFEREE" replay --check "$T/gpu1" --tolerance "$TOL" --quiet -j 2
done_testing
