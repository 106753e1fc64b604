#!/usr/bin/env bash
# referee-mpi rescore (make MPI=1): rollout files re-scored across 1-3
# ranks print the same bytes, each file's pass@1 / pass@k / cons@k equals
# `referee rescore --json` on that file, and a malformed file on any rank
# fails the run (exit 2, named).  Skipped where MPI is not available.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_mpi.sh"
cd "$T"
D=$TESTS_DIR/data
cp "$D/math_cot_80.jsonl" all.jsonl
head -30 "$D/math_cot_80.jsonl" > head.jsonl
tail -25 "$D/math_cot_80.jsonl" > tail.jsonl
FILES="all.jsonl head.jsonl tail.jsonl"
for np in 1 2 3; do
  mpi "$np" rescore -j 1 $FILES > "r$np.txt" 2> "r$np.err"; echo $? > "r$np.rc"
done
if [ "$(cat r1.rc r2.rc r3.rc | tr -d '\n')" = 000 ] && cmp -s r1.txt r2.txt && cmp -s r1.txt r3.txt; then
  ok "1, 2 and 3 ranks: exit 0, identical output"
else not_ok "ranks identical" "$(cat r2.err | head -5)"; fi
bad=""
for f in $FILES; do
  "$REFEREE" rescore --json "$f" > "$f.json" || bad="$bad $f(referee rescore failed)"
  want=$(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]
k = [x for x in m if x.startswith("pass@") and x != "pass@1"][0]
c = [x for x in m if x.startswith("cons@")][0]
print("pass@1 %.6f%%, %s %.6f%%, %s %.6f%%" % (100 * m["pass@1"]["value"], k,
      100 * m[k]["value"], c, 100 * m[c]["value"]))' "$f.json")
  grep -q "^$f: .*; $want, " r2.txt || bad="$bad $f(want '$want')"
done
[ -z "$bad" ] && ok "every file's pass@1, pass@k, cons@k equal referee rescore's" || not_ok "equal to referee rescore" "$bad" "$(cat r2.txt)"
grep -q "^total: 3 files, 135 problems, 1080 samples, " r2.txt && ok "totals over files" || not_ok "totals" "$(tail -1 r2.txt)"
printf '{"idx": 1, "code": ["x"], "gt": "1"}\n{oops\n' > broken.jsonl
mpi 2 rescore all.jsonl broken.jsonl > /dev/null 2> b.err; rc=$?
[ $rc -eq 2 ] && grep -q "broken\.jsonl" b.err && ok "malformed file on a rank: exit 2, named" || not_ok "malformed" "exit $rc" "$(head -3 b.err)"
done_testing
