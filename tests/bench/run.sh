#!/usr/bin/env bash
# make bench: every benchmark in tests/bench/bench_*.sh, each against a named
# baseline run side by side on this machine, printed as ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export REFEREE="$PWD/$BUILD/referee"
# Outside the checkout: benchmarks pack their generated payloads, and pack
# refuses uncommitted files inside a git work tree.
if [ -z "${BENCH_DIR:-}" ]; then
  BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/referee-bench.XXXXXX")
  trap 'rm -rf "$BENCH_DIR"' EXIT
fi
export BENCH_DIR
mkdir -p "$BENCH_DIR"
only=${BENCH:-}
. tests/bench/cpu.sh
echo "cpu: $(bench_cpu)"
for b in tests/bench/bench_*.sh; do
  [ -f "$b" ] || continue
  case "$b" in *"$only"*) ;; *) continue ;; esac
  echo "==== $(basename "$b" .sh)"
  bash "$b"
done
