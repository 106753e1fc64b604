#!/usr/bin/env bash
# The program's shell: help, version, unknown verbs, exit codes.
. "$(dirname "$0")/lib.sh"

expect_exit "no arguments is a usage error" 2 "$REFEREE"
expect_err_match "no arguments prints usage" "usage: referee"
expect_exit "--help exits 0" 0 "$REFEREE" --help
expect_out_match "--help documents exit codes" "3  internal or library failure"
expect_exit "--version exits 0" 0 "$REFEREE" --version
expect_out_match "--version names the program" "^referee [0-9]+\.[0-9]+\.[0-9]+$"
expect_exit "unknown verb is a usage error" 2 "$REFEREE" frobnicate
expect_err_match "unknown verb is named" "unknown verb 'frobnicate'"
if [ -w /dev/full ]; then
  expect_exit "a write error on stdout is reported" 3 sh -c "'$REFEREE' --help >/dev/full"
fi
# An unknown option is named, in every verb (rescore has its own parser).
for v in pack verify keygen sign lint digest "hw capture" check replay "grpo audit" review "model digest"; do
  run $REFEREE $v --bogus x
  if [ "$rc" -eq 2 ] && grep -q "unknown option '--bogus'" "$T/err"; then ok "$v: unknown option '--bogus'"
  else not_ok "$v: unknown option '--bogus'" "exit $rc: $(head -c 300 "$T/err")"; fi
done
run "$REFEREE" check --junit
if grep -q "option '--junit' needs a value" "$T/err"; then ok "a known option without its value says so"
else not_ok "a known option without its value says so" "$(head -c 300 "$T/err")"; fi
# With 2>&1 through a pipe, the stderr summary starts a line of its own.
"$REFEREE" check --explain "$REPO_DIR/manifests/deepseek-r1" 2>&1 | cat > "$T/both"
if grep -q "^referee check: [0-9]* claim(s) INCONSISTENT" "$T/both" &&
   ! grep -q ".referee check: [0-9]* claim(s) INCONSISTENT" "$T/both"; then ok "stdout is flushed before stderr: lines stay whole"
else not_ok "stdout is flushed before stderr: lines stay whole" "$(grep -n "referee check" "$T/both" | head -3)"; fi
# The headers' layout tables and usage examples survive the formatter.
if command -v clang-format >/dev/null 2>&1; then
  (cd "$REPO_DIR" && clang-format include/referee/bag.h) | sed -n '/A referee bag:/,/^ \*\/$/p' > "$T/fmt"
  sed -n '/A referee bag:/,/^ \*\/$/p' "$REPO_DIR/include/referee/bag.h" > "$T/orig"
  if [ -s "$T/orig" ] && diff -q "$T/orig" "$T/fmt" >/dev/null && grep -q '^ \*   bag-info.txt  ' "$T/orig"; then
    ok "clang-format keeps bag.h's layout table and usage example as written"
  else
    not_ok "clang-format keeps bag.h's layout table and usage example as written" "$(diff "$T/orig" "$T/fmt" | head -10)"
  fi
else
  skip "clang-format keeps header comments" "no clang-format"
fi
done_testing
