#!/usr/bin/env bash
# make bench: completions re-scored per second by `referee rescore --reward
# math`, one thread and all cores, on math_cot_80 replicated to >= 100K
# completions; side by side, HuggingFace math-verify (PyPI, benchmark tooling
# only) on the same completions: throughput ratio and verdict agreement.
# math-verify runs at a few hundred completions per second, so it is timed on
# the first MV_REPS copies of the 640 completions and its rate extrapolated.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${REFEREE:=$PWD/build/referee}"
: "${BENCH_DIR:=$PWD/build/bench}"
REPS=${REPS:-157}      # 157 x 640 = 100,480 completions
MV_REPS=${MV_REPS:-3}  # math-verify on 3 x 640 = 1,920 completions
SRC=tests/data/math_cot_80.jsonl
W="$BENCH_DIR/rescore"
rm -rf "$W"
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
PY=${PYTHON:-python3}
NCPU=$(nproc)

# replicate with fresh problem ids so every copy is a problem of its own
$PY - "$SRC" "$W/big.jsonl" "$REPS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
with open(sys.argv[2], "w") as f:
    for r in range(int(sys.argv[3])):
        for row in rows:
            d = {"idx": "%d-%d" % (r, row["idx"]), "answer": row["answer"], "code": row["code"]}
            f.write(json.dumps(d) + "\n")
PY
N=$((REPS * 640))
SIZE=$(du -m "$W/big.jsonl" | cut -f1)
echo "input: $N completions ($REPS x math_cot_80), ${SIZE} MB"

# wall-clock and CPU seconds: on a shared machine the wall clock includes
# waiting for a core, so both are reported
run_referee() { # threads -> prints "wall cpu maxrss_kb"
  /usr/bin/time -f '%e %U %S %M' -o "$W/time" "$REFEREE" rescore "$W/big.jsonl" -j "$1" --json >"$W/sum-$1.json"
  read -r e u s m <"$W/time"
  echo "$e $(echo "$u + $s" | bc -l) $m"
}
read -r T1 C1 RSS1 < <(run_referee 1)
read -r TN CN RSSN < <(run_referee "$NCPU")
cmp -s "$W/sum-1.json" "$W/sum-$NCPU.json" || { echo "summaries differ between 1 and $NCPU threads"; exit 1; }
R1=$(echo "$N / $T1" | bc -l)
RN=$(echo "$N / $TN" | bc -l)
RC=$(echo "$N / $C1" | bc -l)
printf 'referee rescore, 1 thread:   %8.0f completions/s wall (%.2f s), %.0f per CPU-second, max RSS %d MB\n' "$R1" "$T1" "$RC" $((RSS1 / 1024))
printf 'referee rescore, %d threads:  %8.0f completions/s wall (%.2f s, %.2f CPU-s), max RSS %d MB\n' "$NCPU" "$RN" "$TN" "$CN" $((RSSN / 1024))

# memory is flat in the number of lines: a 10x smaller input, same RSS order
head -n $((REPS * 80 / 10)) "$W/big.jsonl" >"$W/small.jsonl"
/usr/bin/time -f '%M' -o "$W/rss" "$REFEREE" rescore "$W/small.jsonl" -j 1 --json >/dev/null
printf 'max RSS on 1/10 of the input: %d MB (full input: %d MB)\n' $(( $(tail -1 "$W/rss") / 1024 )) $((RSS1 / 1024))

# the same completions for both: the first MV_REPS copies
head -n $((MV_REPS * 80)) "$W/big.jsonl" >"$W/mv.jsonl"
"$REFEREE" rescore "$W/mv.jsonl" -j 1 --samples "$W/ref-samples.jsonl" >/dev/null
if ! $PY -c "import math_verify" 2>/dev/null; then
  echo "math-verify: not installed for $PY (make deps installs it); baseline skipped"
  exit 0
fi
$PY - "$W/mv.jsonl" "$W/ref-samples.jsonl" "$R1" "$RN" "$NCPU" "$N" "$RC" <<'PY'
import json, sys, time
from math_verify import parse, verify
path, samples, r1, rn, ncpu = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
total = int(sys.argv[6])
rc = float(sys.argv[7])
rows = [json.loads(l) for l in open(path)]
ref = [json.loads(l)["correct"] for l in open(samples)]
verdicts = []
t0 = time.perf_counter()
c0 = time.process_time()
for r in rows:
    gold = parse("$" + r["answer"] + "$")
    for c in r["code"]:
        verdicts.append(bool(verify(gold, parse(c))))
dt = time.perf_counter() - t0
cpu = time.process_time() - c0
n = len(verdicts)
rate = n / dt
agree = sum(a == b for a, b in zip(verdicts, ref))
print("math-verify, 1 process:      %8.0f completions/s  (%d completions in %.2f s, "
      "extrapolated to the full input: %.0f s)" % (rate, n, dt, total / rate))
print("math-verify per CPU-second: %.0f completions" % (n / cpu))
print("throughput ratio referee/math-verify: %.0fx wall, 1 thread; %.0fx wall, %s threads; %.0fx per CPU-second"
      % (r1 / rate, rn / rate, ncpu, rc / (n / cpu)))
print("verdict agreement referee vs math-verify: %d of %d (%.2f%%); accuracy referee %.2f%%, math-verify %.2f%%"
      % (agree, n, 100.0 * agree / n, 100.0 * sum(ref) / n, 100.0 * sum(verdicts) / n))
diff = {}
for i, (a, b) in enumerate(zip(verdicts, ref)):
    if a != b:
        k = i % 640
        diff[k] = (a, b)
row_of = []
for r in rows[:80]:
    for j in range(len(r["code"])):
        row_of.append((r["idx"].split("-", 1)[1], j))
for k, (a, b) in sorted(diff.items()):
    print("  differs: problem %s sample %d: math-verify %s, referee %s" % (row_of[k][0], row_of[k][1], a, b))
PY
