#!/usr/bin/env bash
# referee rescore on real model outputs (math_cot_80) and on hostile input:
# figures, both rollout shapes, field mapping, samples output, exit codes.
. "$(dirname "$0")/lib.sh"
DATA="$TESTS_DIR/data/math_cot_80.jsonl"
PY=python3

expect_exit "rescore math_cot_80 as is" 0 "$REFEREE" rescore "$DATA" -j 2
expect_out_match "80 problems, 640 samples" "80 problems, 640 samples \(8 per problem\), 590 correct"
expect_out_match "pass@1 in the table" "pass@1 +92\.19%"
expect_out_match "cons@8 in the table" "cons@8 +95\.00%"
expect_out_match "pass@8 in the table" "pass@8 +98\.75%"

expect_exit "--json" 0 "$REFEREE" rescore "$DATA" --json -j 1
cp "$T/out" "$T/j1.json"
if $PY - "$T/j1.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
m = j["metrics"]
assert j["problems"] == 80 and j["samples"] == 640 and j["k"] == 8, j
assert abs(m["pass@1"]["value"] - 590 / 640) < 1e-9, m["pass@1"]
assert abs(m["cons@8"]["value"] - 0.95) < 1e-9, m["cons@8"]
lo, hi = m["pass@1"]["ci95"]
assert lo < m["pass@1"]["value"] < hi, (lo, hi)
assert j["bootstrap"]["replicates"] == 1000
PY
then ok "--json figures"; else not_ok "--json figures"; fi
expect_exit "--json with 2 threads" 0 "$REFEREE" rescore "$DATA" --json -j 2
if cmp -s "$T/out" "$T/j1.json"; then ok "same JSON with 1 and 2 threads"
else not_ok "same JSON with 1 and 2 threads" "$(diff "$T/out" "$T/j1.json" | head -5)"; fi

# --k: pass@4 and cons@4 over the first four samples
expect_exit "--k 4" 0 "$REFEREE" rescore "$DATA" --k 4
expect_out_match "cons@4 row" "cons@4 "

# one line per completion, other field names, read through --map
$PY - "$DATA" "$T/flat.jsonl" <<'PY'
import json, sys
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        d = json.loads(line)
        for i, c in enumerate(d["code"]):
            out.write(json.dumps({"qid": "q%d" % d["idx"], "sample": i,
                                  "gold": d["answer"], "model": {"text": c}}) + "\n")
PY
expect_exit "one line per completion with --map" 0 "$REFEREE" rescore "$T/flat.jsonl" \
  --map id=qid --map answer=gold --map completion=model.text --json
if $PY -c "import json,sys; j=json.load(open(sys.argv[1])); assert j['problems']==80 and j['lines']==640 and abs(j['metrics']['pass@1']['value']-590/640)<1e-9" "$T/out"
then ok "per-completion lines give the same pass@1"; else not_ok "per-completion lines give the same pass@1" "$(head -c 400 "$T/out")"; fi
expect_exit "unmapped flat file lacks the fields" 2 "$REFEREE" rescore "$T/flat.jsonl"
expect_err_match "names the line and the fields tried" "line 1: no completion field \(tried completions"

# per-sample verdicts
expect_exit "--samples" 0 "$REFEREE" rescore "$DATA" --samples "$T/s.jsonl"
if [ "$(wc -l <"$T/s.jsonl")" -eq 640 ] && [ "$(grep -c '"correct":true' "$T/s.jsonl")" -eq 590 ]
then ok "640 verdicts, 590 correct"; else not_ok "640 verdicts, 590 correct" "$(wc -l <"$T/s.jsonl")"; fi
if $PY -c "
import json,sys
r=[json.loads(l) for l in open(sys.argv[1])]
x=r[0]
assert set(x)>={'id','sample','answer','normalised','reference','reference_normalised','reward','correct','reason'}, x
assert x['id']=='1' and x['answer']=='\\\\frac{1}{9}' and x['reference_normalised']=='\\\\frac{1}{9}', x
" "$T/s.jsonl"; then ok "sample fields"; else not_ok "sample fields" "$(head -c 400 "$T/s.jsonl")"; fi
ls "$T"/s.jsonl.tmp-* >/dev/null 2>&1 && not_ok "no temporary left behind" || ok "no temporary left behind"

expect_exit "stdin" 0 sh -c "'$REFEREE' rescore - --json <'$DATA'"
expect_out_match "stdin read" '"problems": 80'

expect_exit "format reward on outputs without think tags" 0 "$REFEREE" rescore "$DATA" --reward format --json
expect_out_match "format mean reward is 0" '"value": 0'

# the reward a training config declares
cat >"$T/config.yaml" <<'Y'
kind: training-config
schema: 1
model: {total-params: 7B}
rewards:
  - {name: math, weight: 0.9}
  - {name: format, weight: 0.1, params: {think-close: "</think>"}}
Y
expect_exit "--config" 0 "$REFEREE" rescore "$DATA" --config "$T/config.yaml" --json
if python3 -c "import json,sys; j=json.load(open(sys.argv[1])); assert j['reward']=='math:0.9,format:0.1' and abs(j['metrics']['mean_reward']['value']-0.9*590/640)<1e-9, j" "$T/out"
then ok "--config weights the terms"; else not_ok "--config weights the terms" "$(head -c 300 "$T/out")"; fi
expect_exit "--config and --reward together" 2 "$REFEREE" rescore "$DATA" --config "$T/config.yaml" --reward math
sed -i 's/name: format/name: formatt/' "$T/config.yaml"
expect_exit "--config with an unknown reward" 2 "$REFEREE" rescore "$DATA" --config "$T/config.yaml"
expect_err_match "names file:line:col and field" "config.yaml:6:[0-9]+: rewards\[1\].name: unknown reward 'formatt'"

# hostile input: each a per-sample reason or a clean error naming the line
$PY - "$T/hostile.jsonl" <<'PY'
import json, sys
rows = [
  {"id": "braces", "answer": "1", "completion": "\\boxed" + "{" * 10000 + "1" + "}" * 10000},
  {"id": "tower", "answer": "10^{10^{10}}+1", "completion": "so \\boxed{10^{10^{10}}}"},
  {"id": "fact", "answer": "\\frac{1}{2004!}", "completion": "\\boxed{\\frac{1}{2006!}}"},
  {"id": "unclosed", "answer": "1", "completion": "\\boxed{1"},
  {"id": "none", "answer": "1", "completion": "I cannot say"},
]
with open(sys.argv[1], "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
PY
expect_exit "hostile answers are scored" 0 "$REFEREE" rescore "$T/hostile.jsonl" --samples "$T/h.jsonl"
for pat in '"id":"braces".*longer than 4096 bytes' '"id":"tower".*too large to compare exactly' \
           '"id":"fact".*"correct":false' '"id":"unclosed".*never closed' '"id":"none".*no final answer'; do
  if grep -qE "$pat" "$T/h.jsonl"; then ok "reason: $pat"; else not_ok "reason: $pat" "$(cat "$T/h.jsonl" | head -c 800)"; fi
done

# a 100 MB completion: streamed, scored, within bounds
$PY - "$T/big.jsonl" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write('{"id": "small", "answer": "2", "completion": "\\\\boxed{2}"}\n')
    f.write('{"id": "big", "answer": "42", "completion": "')
    chunk = "the quick brown fox jumps over the lazy dog " * 1000
    for _ in range(100 * 1024 * 1024 // len(chunk)):
        f.write(chunk)
    f.write('so \\\\boxed{42}"}\n')
PY
expect_exit "100 MB completion" 0 "$REFEREE" rescore "$T/big.jsonl" --samples "$T/b.jsonl" -j 2
if grep -q '"id":"big".*"correct":true' "$T/b.jsonl"; then ok "100 MB completion scored"; else not_ok "100 MB completion scored" "$(head -c 600 "$T/b.jsonl")"; fi
rm -f "$T/big.jsonl"

printf '{"id":1,"answer":"1","completion":"\\\\boxed{1}"}\nthis is not json\n' >"$T/bad.jsonl"
expect_exit "a line that is not JSON" 2 "$REFEREE" rescore "$T/bad.jsonl"
expect_err_match "names the file and line" "^referee rescore: '.*bad.jsonl' line 2: not JSON"
printf '{"id":1,"answer":"1","completion":"\\\\boxed{\xff\xfe}"}\n' >"$T/utf.jsonl"
expect_exit "invalid UTF-8" 2 "$REFEREE" rescore "$T/utf.jsonl"
expect_err_match "invalid UTF-8 names the line" "line 1: not JSON: .*UTF-8"

# interleaved per-completion lines (a, b, a) are not three problems
printf '{"id":"a","answer":"1","completion":"\\\\boxed{1}"}\n{"id":"b","answer":"2","completion":"\\\\boxed{2}"}\n{"id":"a","answer":"1","completion":"\\\\boxed{3}"}\n' >"$T/dup.jsonl"
expect_exit "an id that comes back after another" 2 "$REFEREE" rescore "$T/dup.jsonl"
expect_err_match "names the file and both lines" "^referee rescore: '.*dup.jsonl' line 3: problem id 'a' already seen at line 1"
# the per-problem shape of math_cot_80 with its first problem repeated at the end
{ cat "$DATA"; head -n 1 "$DATA"; } >"$T/dup80.jsonl"
expect_exit "a per-problem line whose id was seen" 2 "$REFEREE" rescore "$T/dup80.jsonl" -j 2
expect_err_match "names both lines" "dup80.jsonl' line 81: problem id '1' already seen at line 1"

expect_exit "missing file" 2 "$REFEREE" rescore "$T/nope.jsonl"
expect_err_match "missing file named" "cannot open '.*nope.jsonl'"
expect_exit "unknown reward" 2 "$REFEREE" rescore "$DATA" --reward vibes
expect_err_match "unknown reward named" "unknown reward 'vibes'"
expect_exit "bad --map" 2 "$REFEREE" rescore "$DATA" --map colour=red
expect_exit "bad --k" 2 "$REFEREE" rescore "$DATA" --k 0
expect_exit "unknown option" 2 "$REFEREE" rescore "$DATA" --frobnicate
expect_exit "no rollouts argument" 2 "$REFEREE" rescore
expect_exit "--help" 0 "$REFEREE" rescore --help
expect_out_match "--help lists default fields" "completion +completions, responses"
# issue 13: an unknown option is named as unknown, even where a value
# follows or none does; with k = 1 the table has one pass@1 row
expect_exit "unknown option --bogus" 2 "$REFEREE" rescore "$DATA" --bogus
expect_err_match "--bogus named unknown" "unknown option '--bogus'"
expect_exit "unknown option --force last" 2 "$REFEREE" rescore "$DATA" --force
expect_err_match "--force named unknown" "unknown option '--force'"
expect_exit "a known option without its value" 2 "$REFEREE" rescore "$DATA" --k
expect_err_match "says it needs a value" "option '--k' needs a value"
printf '{"id":"a","answer":"1","completion":"\\\\boxed{1}"}\n{"id":"b","answer":"2","completion":"\\\\boxed{3}"}\n' >"$T/k1.jsonl"
expect_exit "k = 1 rollouts" 0 "$REFEREE" rescore "$T/k1.jsonl" --bootstrap 0
if [ "$(grep -c 'pass@1 ' "$T/out")" = 1 ]; then ok "pass@1 printed once with k = 1"
else not_ok "pass@1 printed once with k = 1" "$(cat "$T/out")"; fi
# issue 11: a NUL byte is a malformed line, named (it used to splice lines)
printf '{"id":"a","answer":"1","completion":"\\\\boxed{1}"}\n{"id":"b","answer":"2","completion":"\\\\boxed{2}\000junk"}\n"}\n' >"$T/nul.jsonl"
expect_exit "a NUL byte in a line" 2 "$REFEREE" rescore "$T/nul.jsonl"
expect_err_match "NUL named with its line" "nul.jsonl' line 2: column 48: a NUL byte"
done_testing
