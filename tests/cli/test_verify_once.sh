#!/usr/bin/env bash
# verify --trust reads each payload file once: the digests that held the
# signed statement against the files on disk are the ones the BagIt checks
# compare with the manifest.  Counted with strace (skipped without it).
. "$(dirname "$0")/lib.sh"
cd "$T"

mkdir -p src/sub
printf 'a\n' > src/a.txt
printf 'b\n' > src/sub/b.txt
printf 'c\n' > src/c.bin
"$REFEREE" keygen author --no-passphrase >/dev/null 2>&1
"$REFEREE" pack signed src --sign author.key >/dev/null 2>&1
"$REFEREE" pack unsigned src >/dev/null 2>&1
expect_exit "the signed bag verifies" 0 "$REFEREE" verify signed --trust author.pub

# opens BAG ARGS...: how many times each payload file was opened, one
# "count path" line per file
opens() {
  # LeakSanitizer cannot run under ptrace (the sanitizer build): leaks are
  # checked by every other test
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -e trace=open,openat -o trace.log "$REFEREE" verify -q "$@" >/dev/null 2>&1 || return 1
  grep -o '"[^"]*/data/[^"]*"' trace.log | tr -d '"' | sed 's|.*/data/|data/|' | sort | uniq -c
}
if ! command -v strace >/dev/null 2>&1 || ! strace -f -qq -o /dev/null true >/dev/null 2>&1; then
  skip "verify --trust opens each payload file once" "strace missing or not permitted"
  skip "unsigned verify opens each payload file once" "strace missing or not permitted"
else
  signed=$(opens signed --trust author.pub) || signed=FAILED
  plain=$(opens unsigned) || plain=FAILED
  # a data/ directory may be opened for the walk: count files only
  files_signed=$(printf '%s\n' "$signed" | grep -E ' data/src/(a\.txt|sub/b\.txt|c\.bin)$' || true)
  files_plain=$(printf '%s\n' "$plain" | grep -E ' data/src/(a\.txt|sub/b\.txt|c\.bin)$' || true)
  if [ "$(printf '%s\n' "$files_signed" | grep -c .)" = 3 ] &&
     ! printf '%s\n' "$files_signed" | awk '$1 != 1 { bad = 1 } END { exit !bad }'; then
    ok "verify --trust opens each payload file once"
  else
    not_ok "verify --trust opens each payload file once" "$signed"
  fi
  if [ "$(printf '%s\n' "$files_plain" | grep -c .)" = 3 ] &&
     ! printf '%s\n' "$files_plain" | awk '$1 != 1 { bad = 1 } END { exit !bad }'; then
    ok "unsigned verify opens each payload file once"
  else
    not_ok "unsigned verify opens each payload file once" "$plain"
  fi
fi
# one read, still the files on disk: a changed payload file fails
printf 'A\n' > signed/data/src/a.txt
expect_exit "a changed payload file still fails verify --trust" 1 "$REFEREE" verify signed --trust author.pub
done_testing
