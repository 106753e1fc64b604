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
done_testing
