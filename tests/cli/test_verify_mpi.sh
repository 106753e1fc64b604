#!/usr/bin/env bash
# referee-mpi verify (make MPI=1): a bag's payload hashed across 1-3 ranks
# gives the same output and exit status whatever the rank count, agrees
# with `referee verify` (0 for a good bag, 1 for a tampered file, naming
# it), and never reads through a symlink that leaves the bag.
# Skipped, with the reason, where MPI is not built or not installed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_mpi.sh"
cd "$T"
mkdir ev
for i in $(seq 1 12); do head -c $((i * 40000)) /dev/urandom > "ev/f$i.bin"; done
cp "$TESTS_DIR"/data/contam/*.txt ev/
"$REFEREE" pack -q good ev || { not_ok "pack the fixture"; done_testing; }

for np in 1 2 3; do
  mpi "$np" verify -j 1 good > "good$np.txt" 2> "good$np.err"; rc=$?
  if [ $rc -eq 0 ] && grep -q "^bag 'good': 16 payload files: valid$" "good$np.txt"; then ok "$np rank(s): good bag valid, exit 0"
  else not_ok "$np ranks good" "exit $rc" "$(head -c 400 "good$np.err")"; fi
done
cmp -s good1.txt good2.txt && cmp -s good1.txt good3.txt && ok "same output with 1, 2 and 3 ranks" || not_ok "same output"
expect_exit "referee verify agrees: exit 0" 0 "$REFEREE" verify good

cp -r good bad
printf 'x' | dd of=bad/data/ev/f3.bin bs=1 seek=100 conv=notrunc 2> /dev/null
for np in 1 2; do mpi "$np" verify bad > "bad$np.txt" 2> /dev/null; echo $? > "bad$np.rc"; done
if [ "$(cat bad2.rc)" = 1 ] && grep -q "^mismatch: 'data/ev/f3.bin'" bad2.txt && cmp -s bad1.txt bad2.txt; then
  ok "tampered payload: exit 1 naming data/ev/f3.bin, same with 1 and 2 ranks"
else not_ok "tampered" "exit $(cat bad2.rc)" "$(cat bad2.txt)"; fi
expect_exit "referee verify agrees: exit 1" 1 "$REFEREE" verify bad

cp -r good sym
rm sym/data/ev/f5.bin
ln -s /etc/passwd sym/data/ev/f5.bin
mpi 2 verify sym > sym.txt 2> /dev/null; rc=$?
if [ $rc -eq 1 ] && grep -q "data/ev/f5.bin" sym.txt && ! grep -q "root:" sym.txt; then ok "escaping symlink: reported, not read (exit 1)"
else not_ok "symlink" "exit $rc" "$(cat sym.txt)"; fi
mpi 2 verify nosuchbag > /dev/null 2> nobag.err; rc=$?
[ $rc -eq 2 ] && grep -q "nosuchbag" nobag.err && ok "missing bag: exit 2 naming it" || not_ok "missing bag" "exit $rc" "$(cat nobag.err)"
mpi 2 frobnicate > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "unknown verb: exit 2" || not_ok "unknown verb" "exit $rc"
done_testing
