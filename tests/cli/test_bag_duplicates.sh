#!/usr/bin/env bash
# A manifest line listed twice (payload or tag manifest) is a malformed bag:
# a clear error naming the file, never a crash (it once was a double free).
. "$(dirname "$0")/lib.sh"
cd "$T"
mkdir -p src/sub && echo one >src/a.txt && echo two >src/sub/b.txt
"$REFEREE" pack -q bag src || { not_ok "pack the fixture"; done_testing; }

for mf in manifest-sha256.txt tagmanifest-sha256.txt; do
  for where in first last; do
    rm -rf dup && cp -r bag dup
    if [ $where = first ]; then line=$(head -1 "dup/$mf"); else line=$(tail -1 "dup/$mf"); fi
    printf '%s\n' "$line" >>"dup/$mf"
    run "$REFEREE" verify dup
    if [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ]; then ok "$mf: $where line twice exits $rc"
    else not_ok "$mf: $where line twice exits 1 or 2" "rc $rc" "$(head -c 400 "$T/err")"; fi
    expect_err_match "$mf: $where line twice names the file" "$mf"
    expect_err_match "$mf: $where line twice says why" "listed twice"
  done
done
# Several duplicates at once, with lines after them still owned.
rm -rf dup && cp -r bag dup
cat bag/manifest-sha256.txt bag/manifest-sha256.txt >dup/manifest-sha256.txt
run "$REFEREE" verify dup
if [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ]; then ok "every line twice exits $rc"
else not_ok "every line twice exits 1 or 2" "rc $rc"; fi
done_testing
