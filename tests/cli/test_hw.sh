#!/usr/bin/env bash
# referee hw capture: CPU and memory from a /proc fixture, GPUs through an
# NVML loaded at run time (a library with NVML's ABI built here, or the real
# driver when there is one), and the output lints as a hardware-manifest.
. "$(dirname "$0")/lib.sh"
H="$TESTS_DIR/data/hw"

expect_exit "capture from a /proc fixture" 0 "$REFEREE" hw capture --proc "$H/proc" --no-gpu
expect_out_match "kind" "^kind: hardware-manifest$"
expect_out_match "CPU model, quoted safely" '^    model: "Intel\(R\) Xeon\(R\) Platinum 8480\+ \\"test\\""$'
expect_out_match "physical cores (2 sockets × 2)" "^    cores: 4$"
expect_out_match "threads" "^    threads: 8$"
expect_out_match "sockets" "^    sockets: 2$"
expect_out_match "memory in GiB" "^  memory-gib: 2015.5$"
expect_out_match "hostname" '^  hostname: "gpu-node-7"$'
if grep -q "accelerators" "$T/out"; then not_ok "no GPUs without NVML"; else ok "no GPUs without NVML"; fi
cp "$T/out" "$T/hw.yaml"
expect_exit "the capture lints" 0 "$REFEREE" lint "$T/hw.yaml"

expect_exit "an NVML that cannot be loaded lists no GPUs" 0 "$REFEREE" hw capture --proc "$H/proc" --nvml "$T/none.so"
if grep -q "accelerators" "$T/out"; then not_ok "missing NVML: no accelerators"; else ok "missing NVML: no accelerators"; fi

if command -v cc >/dev/null && cc -shared -fPIC -o "$T/libfake-nvml.so" "$H/fake_nvml.c" 2>"$T/cc"; then
  expect_exit "capture through an NVML-ABI library" 0 "$REFEREE" hw capture --proc "$H/proc" --nvml "$T/libfake-nvml.so" -o "$T/gpu.yaml"
  expect_true "-o writes the manifest" test -s "$T/gpu.yaml"
  if grep -A1 'model: "NVIDIA A100-SXM4-80GB"' "$T/gpu.yaml" | grep -q "count: 2" &&
     grep -A1 'model: "NVIDIA H800"' "$T/gpu.yaml" | grep -q "count: 6"; then
    ok "GPUs grouped by model with counts"; else not_ok "GPUs grouped by model with counts" "$(cat "$T/gpu.yaml")"; fi
  expect_true "peak from the datasheet table" grep -q "bf16: 989 TFLOP/s" "$T/gpu.yaml"
  expect_true "driver version" grep -q 'driver: "550.54.15"' "$T/gpu.yaml"
  expect_true "memory per GPU" grep -q "memory-gib: 80.0" "$T/gpu.yaml"
  expect_exit "the GPU capture lints" 0 "$REFEREE" lint "$T/gpu.yaml"
  expect_exit "-o does not overwrite without --force" 2 "$REFEREE" hw capture --proc "$H/proc" --no-gpu -o "$T/gpu.yaml"
  expect_exit "--force overwrites" 0 "$REFEREE" hw capture --proc "$H/proc" --no-gpu -o "$T/gpu.yaml" --force
else
  skip "capture through an NVML-ABI library" "no C compiler"
fi

# this machine, with the real NVML when the driver is installed
expect_exit "capture of this machine" 0 "$REFEREE" hw capture
cp "$T/out" "$T/here.yaml"
expect_exit "this machine's capture lints" 0 "$REFEREE" lint "$T/here.yaml"
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  n=$(nvidia-smi -L | wc -l)
  got=$(awk '/count:/ {s += $2} END {print s+0}' "$T/here.yaml")
  if [ "$got" = "$n" ]; then ok "NVML lists the GPUs nvidia-smi lists ($n)"
  else not_ok "NVML lists the GPUs nvidia-smi lists" "nvidia-smi: $n, referee: $got"; fi
else
  skip "NVML lists the GPUs nvidia-smi lists" "no NVIDIA driver here"
fi

expect_exit "a missing /proc is exit 2" 2 "$REFEREE" hw capture --proc "$T/noproc"
expect_exit "no subcommand is a usage error" 2 "$REFEREE" hw
expect_exit "unknown subcommand is a usage error" 2 "$REFEREE" hw frob
done_testing
