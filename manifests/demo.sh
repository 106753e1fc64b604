#!/usr/bin/env bash
# make demo: what an author and a reviewer would run, on the bundled examples.
# Each part of the demo is one script in manifests/demo.d/, run in order.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export REFEREE="$PWD/$BUILD/referee"
export DEMO_DIR=${DEMO_DIR:-$PWD/$BUILD/demo}
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"
for part in manifests/demo.d/*.sh; do
  [ -f "$part" ] || continue
  echo
  echo "==== $(sed -n '2s/^# //p' "$part")"
  bash "$part"
done
echo
echo "demo finished; its files are in $DEMO_DIR"
