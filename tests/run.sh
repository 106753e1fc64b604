#!/usr/bin/env bash
# Run the whole suite: unit tests (cmocka, TAP output), CLI tests
# (tests/cli/test_*.sh, TAP through tests/cli/lib.sh) and tool cross-checks.
# Prints one summary line: "N passed, N failed, N skipped".
# Usage: tests/run.sh [PATTERN]   (only tests whose file name contains PATTERN)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
export REFEREE="$PWD/$BUILD/referee"
export CMOCKA_MESSAGE_OUTPUT=TAP
pattern=${1:-}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
pass=0 fail=0 skip=0 failed_names=""

run_one() { # name, command...
  local name=$1; shift
  local out="$log/$(echo "$name" | tr '/' '_').out"
  local start=$SECONDS
  "$@" >"$out" 2>&1
  local rc=$?
  local p f s
  p=$(grep -cE '^ok [0-9]+' "$out" | tr -d ' ')
  s=$(grep -cE '^ok [0-9]+.*# (SKIP|skip)' "$out" | tr -d ' ')
  f=$(grep -cE '^not ok [0-9]+' "$out" | tr -d ' ')
  # cmocka 1.1 prints a skipped test as "not ok N # SKIP name"
  local cs
  cs=$(grep -cE '^not ok [0-9]+ # (SKIP|skip)' "$out" | tr -d ' ')
  f=$((f - cs)); s=$((s + cs))
  p=$((p - s + cs))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  if [ $((p + f + s)) -eq 0 ]; then f=1; echo "no test ran" >>"$out"; fi
  pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
  if [ "$f" -gt 0 ]; then
    printf 'FAIL %-40s (%d passed, %d failed) %ss\n' "$name" "$p" "$f" $((SECONDS - start))
    grep -E '^not ok|^# ' "$out" | head -40 | sed 's/^/    /'
    tail -15 "$out" | sed 's/^/    | /'
    failed_names="$failed_names $name"
  else
    printf 'ok   %-40s (%d passed, %d skipped) %ss\n' "$name" "$p" "$s" $((SECONDS - start))
  fi
}

for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  case "$t" in *"$pattern"*) ;; *) continue ;; esac
  run_one "unit/$(basename "$t")" "$t"
done
for t in tests/cli/test_*.sh; do
  [ -f "$t" ] || continue
  case "$t" in *"$pattern"*) ;; *) continue ;; esac
  run_one "cli/$(basename "$t")" bash "$t"
done

echo
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
