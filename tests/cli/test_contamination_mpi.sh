#!/usr/bin/env bash
# referee-mpi contamination (make MPI=1): the corpus files divided among 1,
# 2 and 3 ranks give byte for byte the report of one `referee` process; a
# rank's failure reaches rank 0's message and the exit status (no hang).
# Skipped, with the reason, where MPI is not built or not installed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_mpi.sh"

. "$(dirname "$0")/lib_contam.sh"
cp "$D/contam/gpl-3.txt" "$D/contam/apache-2.0.txt" .
FILES="web.txt books.txt.zst sft.jsonl chat.jsonl.gz gpl-3.txt apache-2.0.txt"

"$REFEREE" contamination $EV -j 2 --json $FILES > one.json
"$REFEREE" contamination $EV -j 2 $FILES > one.txt
for np in 1 2 3; do
  mpi "$np" contamination $EV -j 1 --json $FILES > "np$np.json" 2> "np$np.err"; rc=$?
  if [ $rc -eq 1 ] && cmp -s "np$np.json" one.json; then ok "$np rank(s): JSON report identical to one process (exit 1: items overlap)"
  else not_ok "$np rank(s) JSON" "exit $rc" "$(head -c 400 "np$np.err")" "$(diff "np$np.json" one.json | head -5)"; fi
done
mpi 2 contamination $EV --block-size 4096 $FILES > np2.txt 2> np2.err
if cmp -s np2.txt one.txt; then ok "2 ranks: text report identical"
else not_ok "2 ranks text" "$(diff np2.txt one.txt | head -5)"; fi
grep -q "OVERLAP" one.txt && ok "the compared reports do name overlaps" || not_ok "reports name overlaps"

# a clean corpus: every rank succeeds, exit 0
mpi 2 contamination $EV gpl-3.txt apache-2.0.txt > clean.txt 2> clean.err
[ $? -eq 0 ] && grep -q '^total: 0 of 422 items overlap$' clean.txt \
  && ok "2 ranks, clean corpus: exit 0" || not_ok "clean corpus" "$(cat clean.err | head -5)"

# the smallest file goes to the least loaded rank (rank 1): its error is
# reported by rank 0 with the rank, the file and the line
printf '{"text": "fine"}\n{"text": oops}\n' > bad.jsonl
mpi 2 contamination $EV web.txt bad.jsonl > bad.out 2> bad.err; rc=$?
if [ $rc -eq 2 ] && grep -q "rank 1: bad\.jsonl:2: column 10" bad.err; then ok "rank 1's malformed file: exit 2, named by rank 0"
else not_ok "rank error" "exit $rc" "$(head -c 600 bad.err)"; fi
mpi 2 contamination $EV web.txt nosuchfile.txt > /dev/null 2> miss.err; rc=$?
[ $rc -eq 2 ] && grep -q "nosuchfile\.txt" miss.err && ok "missing file on a rank: exit 2" || not_ok "missing file" "exit $rc"
mpi 2 contamination -n 2 $EV web.txt > /dev/null 2> usage.err; rc=$?
[ $rc -eq 2 ] && ok "bad usage: exit 2 on every rank" || not_ok "usage" "exit $rc"
done_testing
