#!/usr/bin/env bash
# make bench: grader accuracy side by side on labelled data.  referee's math
# reward, HuggingFace Math-Verify (PyPI math-verify, benchmark tooling only)
# and the Qwen2.5-Math grader (its verdicts as recorded in the data: its
# code is not shipped here) on
#   1. tests/data/math_cot_80.labels.tsv: 640 real model responses with their
#      labels (consensus of the three graders, adjudicated where they differ);
#   2. tests/data/math_equiv_pairs.tsv: labelled answer pairs, each asked both
#      ways round (the response's \boxed{A} against the reference B).
# Prints accuracy, false positives (wrong marked right) and false negatives
# (right marked wrong) per grader, and lists every pair a grader gets wrong.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${REFEREE:=$PWD/build/referee}"
: "${BENCH_DIR:=$PWD/build/bench}"
PY=${PYTHON:-python3}
W="$BENCH_DIR/grader-accuracy"
rm -rf "$W"
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT

# the pairs as rollouts: one problem per line, both ways round
$PY - tests/data/math_equiv_pairs.tsv "$W/pairs.jsonl" <<'PY'
import json, sys
out = open(sys.argv[2], "w")
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    want, a, b, note = line.rstrip("\n").split("\t")
    n += 1
    # boxing a malformed answer ("\\frac{1}{2}}") changes it: not asked here
    # (tests/unit/test_reward_math.c compares those directly)
    if any(s.count("{") - s.count("\\{") != s.count("}") - s.count("\\}") for s in (a, b)):
        continue
    for way, (resp, ref) in (("ab", (a, b)), ("ba", (b, a))):
        out.write(json.dumps({"id": "%d-%s" % (n, way), "answer": ref,
                              "completion": "\\boxed{%s}" % resp,
                              "label": want == "1", "note": note}) + "\n")
PY
"$REFEREE" rescore tests/data/math_cot_80.jsonl -j 2 --samples "$W/real-ref.jsonl" >/dev/null
"$REFEREE" rescore "$W/pairs.jsonl" -j 2 --samples "$W/pairs-ref.jsonl" >/dev/null
if ! $PY -c "import math_verify" 2>/dev/null; then
  echo "math-verify: not installed for $PY (make deps installs it); comparison skipped"
  exit 0
fi
$PY - "$W" <<'PY'
import json, sys, time
from math_verify import parse, verify
w = sys.argv[1]

def mv(gold, pred):
    try:
        return bool(verify(parse(gold), parse(pred)))
    except Exception:
        return False

def score(name, verdicts, labels):
    n = len(labels)
    fp = sum(v and not l for v, l in zip(verdicts, labels))
    fn = sum(l and not v for v, l in zip(verdicts, labels))
    return "  %-22s %7.2f%%  %4d  %4d" % (name, 100.0 * (n - fp - fn) / n, fp, fn)

# 1. real responses
labels = {}
for line in open("tests/data/math_cot_80.labels.tsv"):
    if line.startswith("#"):
        continue
    idx, smp, lab, how = line.rstrip("\n").split("\t", 3)
    labels[(int(idx), int(smp))] = lab == "1"
rows = [json.loads(l) for l in open("tests/data/math_cot_80.jsonl")]
ref = [json.loads(l)["correct"] for l in open(w + "/real-ref.jsonl")]
keys, qwen, mvv = [], [], []
t0 = time.perf_counter()
for r in rows:
    for i, c in enumerate(r["code"]):
        keys.append((r["idx"], i))
        qwen.append(bool(r["score"][i]))
        mvv.append(mv("$" + r["answer"] + "$", c))
mv_rate = len(keys) / (time.perf_counter() - t0)
lab = [labels[k] for k in keys]
print("real responses: math_cot_80, %d labelled (%d correct)" % (len(lab), sum(lab)))
print("  %-22s %8s  %4s  %4s" % ("grader", "accuracy", "FP", "FN"))
print(score("referee (math)", ref, lab))
print(score("Math-Verify 0.9", mvv, lab))
print(score("Qwen2.5-Math grader", qwen, lab))
for name, v in (("referee", ref), ("Math-Verify", mvv), ("Qwen grader", qwen)):
    for k, a, l in zip(keys, v, lab):
        if a != l:
            print("    %s wrong on problem %d sample %d (label %s)" % (name, k[0], k[1], l))

# 2. labelled pairs
pairs = [json.loads(l) for l in open(w + "/pairs.jsonl")]
pref = [json.loads(l)["correct"] for l in open(w + "/pairs-ref.jsonl")]
pmv = [mv("$" + p["answer"] + "$", p["completion"]) for p in pairs]
plab = [p["label"] for p in pairs]
print("\nlabelled pairs: %d pairs asked both ways = %d questions (%d equal; "
      "pairs with unbalanced braces left out)" % (len(pairs) // 2, len(pairs), sum(plab)))
print("  %-22s %8s  %4s  %4s" % ("grader", "accuracy", "FP", "FN"))
print(score("referee (math)", pref, plab))
print(score("Math-Verify 0.9", pmv, plab))
print("  %-22s %s" % ("Qwen2.5-Math grader", "n/a (no recorded verdicts on pairs)"))
for name, v in (("referee", pref), ("Math-Verify", pmv)):
    for p, a in zip(pairs, v):
        if a != p["label"]:
            print("    %s %s: %s vs %s (%s)" % (name, "FP" if a else "FN",
                  p["completion"], p["answer"], p["note"]))
print("\nMath-Verify ran at %.0f completions/s here (1 process); referee's rate: bench_rescore" % mv_rate)
PY
