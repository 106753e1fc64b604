#!/usr/bin/env bash
# make bench: every benchmark in tests/bench/bench_*.sh, each against a named
# baseline run side by side on this machine, printed as ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export REFEREE="$PWD/$BUILD/referee"
export BENCH_DIR=${BENCH_DIR:-$PWD/$BUILD/bench}
mkdir -p "$BENCH_DIR"
only=${BENCH:-}
for b in tests/bench/bench_*.sh; do
  [ -f "$b" ] || continue
  case "$b" in *"$only"*) ;; *) continue ;; esac
  echo "==== $(basename "$b" .sh)"
  bash "$b"
done
