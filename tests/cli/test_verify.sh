#!/usr/bin/env bash
# referee verify: a good bag passes; every kind of tampering exits 1 or 2
# naming the file, never 0; output forms (--json, --quiet, -j).
. "$(dirname "$0")/lib.sh"

mkdir "$T/w" && cd "$T/w"   # $T/out and $T/err belong to lib.sh
mkdir -p ev/sub
printf 'alpha\n' > ev/a.txt
printf 'beta\n' > ev/sub/b.txt
yes "referee payload" | head -c 2500000 > ev/sub/big.bin   # no NUL: the flip below always changes a byte
"$REFEREE" pack -q good ev || { not_ok "pack the fixture"; done_testing; }

expect_exit "a good bag verifies" 0 "$REFEREE" verify good
expect_out_match "...and says so" "^bag 'good': valid$"
expect_out_match "...with the payload count" "3 files checked"
expect_exit "no arguments is a usage error" 2 "$REFEREE" verify
expect_exit "two bags is a usage error" 2 "$REFEREE" verify good good
expect_exit "a missing bag is unreadable input" 2 "$REFEREE" verify nope
expect_err_match "...named" "'nope'"
expect_exit "a file is not a bag" 2 "$REFEREE" verify ev/a.txt

# tamper NAME EXPECTED_FILE_REGEX SHELL: copy the good bag to b, run SHELL
# inside it, then verify must exit 1 or 2 and name the file on stderr.
tamper() {
  local name=$1 file=$2 script=$3
  rm -rf b && cp -r good b
  (cd b && eval "$script")
  run "$REFEREE" verify b
  if [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ]; then ok "$name: exit $rc"
  else not_ok "$name: exit 1 or 2" "got $rc" "$(cat "$T/err")"; fi
  expect_err_match "$name: names the file" "$file"
}

tamper "flip one byte" "'data/ev/sub/big.bin' does not match" \
  'printf "\x00" | dd of=data/ev/sub/big.bin bs=1 seek=1234567 conv=notrunc 2>/dev/null'
tamper "flip one byte of a small file" "'data/ev/a.txt' does not match" \
  'printf "A" | dd of=data/ev/a.txt bs=1 seek=0 conv=notrunc 2>/dev/null'
tamper "truncate a file" "data/ev/sub/big.bin" 'truncate -s 1000 data/ev/sub/big.bin'
tamper "truncate to empty" "data/ev/a.txt" ': > data/ev/a.txt'
tamper "add an unlisted file" "'data/ev/planted.txt' is not listed" 'echo evil > data/ev/planted.txt'
tamper "add an unlisted file at data/" "'data/x' is not listed" 'echo evil > data/x'
tamper "delete a file" "'data/ev/a.txt' is listed .* but missing" 'rm data/ev/a.txt'
tamper "edit a manifest line's digest" "data/ev/a.txt" \
  'sed -i "s/^[0-9a-f]\{8\}/00000000/" manifest-sha256.txt; grep -q "^00000000.*data/ev/a.txt" manifest-sha256.txt || sed -i "1s/^[0-9a-f]\{8\}/00000000/" manifest-sha256.txt'
tamper "edit a manifest line's path" "data/ev/a.txt" 'sed -i "s|data/ev/a.txt|data/ev/A.txt|" manifest-sha256.txt'
tamper "edit a manifest consistently (tag manifest catches it)" "manifest-sha256.txt" \
  'echo x >> data/ev/a.txt; sed -i "s|^[0-9a-f]*  data/ev/a.txt|$(sha256sum data/ev/a.txt | cut -c1-64)  data/ev/a.txt|" manifest-sha256.txt'
tamper "drop a manifest line" "'data/ev/a.txt' is not listed" 'sed -i "/data\/ev\/a.txt/d" manifest-sha256.txt'
tamper "garble a manifest line" "manifest-sha256.txt line" 'echo "not a digest line" >> manifest-sha256.txt'
tamper "plant a ../ path" "data/../../etc/passwd" \
  'echo "$(sha256sum /etc/hostname | cut -c1-64)  data/../../etc/passwd" >> manifest-sha256.txt'
tamper "plant an absolute path" "/etc/hostname" \
  'echo "$(sha256sum /etc/hostname | cut -c1-64)  /etc/hostname" >> manifest-sha256.txt'
tamper "plant an escaping symlink" "'data/ev/esc' resolves outside the bag" 'ln -s /etc/hostname data/ev/esc'
tamper "replace a file by an escaping symlink" "data/ev/a.txt" \
  'cp data/ev/a.txt /tmp/referee-verify-$$.txt; rm data/ev/a.txt; ln -s /tmp/referee-verify-$$.txt data/ev/a.txt'
rm -f /tmp/referee-verify-*.txt
tamper "symlink the whole data/ outside" "data" 'mv data ../data-moved; ln -s "$PWD/../data-moved" data'
rm -rf data-moved
tamper "plant a FIFO" "data/ev/fifo" 'mkfifo data/ev/fifo'
tamper "edit Payload-Oxum" "Payload-Oxum" 'sed -i "s/^Payload-Oxum: .*/Payload-Oxum: 1.1/" bag-info.txt'
tamper "edit bag-info.txt" "bag-info.txt" 'echo "Source-Organization: someone else" >> bag-info.txt'
tamper "edit the provenance" "referee/provenance.json" 'sed -i "s/referee.provenance/referee.provenancE/" referee/provenance.json'
tamper "delete the tag manifest" "referee/provenance.json" 'rm tagmanifest-sha256.txt'
tamper "delete bagit.txt" "bagit.txt" 'rm bagit.txt'
tamper "delete the payload manifest" "manifest-sha256.txt" 'rm manifest-sha256.txt'
tamper "break the declaration" "bagit.txt" 'echo "BagIt-Version: 2.0" > bagit.txt'

# A percent-encoded LF in a manifest path decodes to a refused name.
tamper "plant an encoded newline" "data/ev/x\?y" \
  'echo "$(sha256sum data/ev/a.txt | cut -c1-64)  data/ev/x%0Ay" >> manifest-sha256.txt'

# Exit codes: tampering is 1, malformed is 2.
rm -rf b && cp -r good b && echo x >> b/data/ev/a.txt
expect_exit "tampered payload exits 1" 1 "$REFEREE" verify b
rm -rf b && cp -r good b && rm b/bagit.txt
expect_exit "no bagit.txt exits 2" 2 "$REFEREE" verify b

# Output forms.
rm -rf b && cp -r good b && echo x >> b/data/ev/a.txt && echo y > b/data/new
expect_exit "--json on a tampered bag" 1 "$REFEREE" verify --json b
if python3 - "$T/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
kinds = sorted((p["kind"], p["path"]) for p in d["problems"])
assert d["valid"] is False and d["exit"] == 1, d
assert ("mismatch", "data/ev/a.txt") in kinds and ("unlisted", "data/new") in kinds, kinds
PY
then ok "--json lists each problem with kind and path"; else not_ok "--json lists each problem with kind and path" "$(cat "$T/out")"; fi
expect_exit "--json on a good bag" 0 "$REFEREE" verify --json good
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["valid"] and d["files"]==3 and d["problems"]==[] and d["bag_info"]["Payload-Oxum"], d' "$T/out"; then
  ok "--json on a good bag is valid JSON saying valid"; else not_ok "--json on a good bag is valid JSON saying valid" "$(cat "$T/out")"; fi
expect_exit "--quiet on a good bag" 0 "$REFEREE" verify -q good
if [ ! -s "$T/out" ] && [ ! -s "$T/err" ]; then ok "--quiet prints nothing when valid"; else not_ok "--quiet prints nothing when valid"; fi
expect_exit "--quiet on a tampered bag" 1 "$REFEREE" verify -q b
expect_err_match "--quiet still names the problem" "data/ev/a.txt"
expect_exit "-j 1" 0 "$REFEREE" verify -j 1 good
expect_exit "-j 4" 0 "$REFEREE" verify -j 4 good
expect_exit "-j bad is a usage error" 2 "$REFEREE" verify -j x good
# Progress appears only on a terminal: with stderr redirected there is none.
expect_exit "no progress when stderr is not a terminal" 0 "$REFEREE" verify good
if [ ! -s "$T/err" ]; then ok "...stderr stays empty"; else not_ok "...stderr stays empty" "$(cat "$T/err")"; fi
if command -v script >/dev/null 2>&1; then
  REFEREE_PROGRESS=now script -qfec "'$REFEREE' verify -j 1 good" /dev/null > tty.log 2>&1 </dev/null
  if grep -q "verifying: [0-9]*/3 files" tty.log; then ok "progress is shown on a terminal"
  else not_ok "progress is shown on a terminal" "$(tail -c 300 tty.log | od -c | head)"; fi
  if grep -q "bag 'good': valid" tty.log; then ok "...and the verdict follows"; else not_ok "...and the verdict follows"; fi
  REFEREE_PROGRESS=now script -qfec "'$REFEREE' verify -q good" /dev/null > tty.log 2>&1 </dev/null
  if ! grep -q "verifying" tty.log; then ok "--quiet shows no progress on a terminal"; else not_ok "--quiet shows no progress on a terminal"; fi
else
  skip "progress is shown on a terminal" "no script(1)"
fi


done_testing
