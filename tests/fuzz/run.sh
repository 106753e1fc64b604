#!/usr/bin/env bash
# Run each libFuzzer harness for SECONDS, one at a time, on a scratch copy
# of its seed corpus; print executions per harness; exit 1 on any crash
# (the reproducer is kept under BUILD/artifacts/).
# Usage: tests/fuzz/run.sh BUILD SECONDS [NAME]
set -u
cd "$(dirname "$0")/../.."
build=${1:-build-fuzz} seconds=${2:-60} only=${3:-}
art="$build/artifacts"
mkdir -p "$art"
work=$(mktemp -d "${TMPDIR:-/tmp}/referee-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
for bin in "$build"/fuzz/fuzz_*; do
  name=$(basename "$bin"); short=${name#fuzz_}
  [ -z "$only" ] || [ "$only" = "$short" ] || [ "$only" = "$name" ] || continue
  mkdir -p "$work/$short"
  seeds="tests/fuzz/corpus/$short"
  "$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -max_len=65536 \
         -artifact_prefix="$art/$short-" -print_final_stats=1 \
         "$work/$short" ${seeds:+$( [ -d "$seeds" ] && echo "$seeds")} >"$work/$short.log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$short.log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$work/$short.log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    failed=1
    echo "FAIL $short: ${runs:-?} executions in ${seconds}s, $cov"
    grep -E 'ERROR|SUMMARY|Test unit written' "$work/$short.log" | head -5 | sed 's/^/    /'
  else
    echo "ok   $short: ${runs:-?} executions in ${seconds}s, $cov"
  fi
done
exit $failed
