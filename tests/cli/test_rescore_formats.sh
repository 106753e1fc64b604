#!/usr/bin/env bash
# referee rescore on the outputs real tools write (tests/data/formats: the
# Qwen2.5-Math harness, verl, lm-evaluation-harness, OpenAI-style chat,
# vLLM): each format detected and read, one claim per format confirmed by
# `referee check`, and each tampered aggregate caught.
. "$(dirname "$0")/lib.sh"
F="$TESTS_DIR/data/formats"
LM=lm-eval/samples_minerva_math_algebra_2025-06-01T12-00-00.000000.jsonl

for pair in qwen-math:qwen-math/math_cot_10.jsonl verl:verl/rollouts/1.jsonl \
            lm-eval:$LM openai-chat:openai-chat/completions.jsonl vllm:vllm/outputs.jsonl; do
  fmt=${pair%%:*} file=${pair#*:}
  expect_exit "$fmt: rescored" 0 "$REFEREE" rescore "$F/$file" --json --bootstrap 0
  expect_out_match "$fmt: detected from the first line" "\"format\": \"$fmt\""
done
expect_exit "--format names the reader" 0 "$REFEREE" rescore "$F/vllm/outputs.jsonl" --format vllm --bootstrap 0
expect_out_match "the table names format and answer policy" "format vllm"
expect_out_match "the answer policy is stated" "answers: .boxed only"
expect_out_match "the cut-off output is counted" "1 samples were cut off at the length limit"
expect_exit "an unknown --format" 2 "$REFEREE" rescore "$F/vllm/outputs.jsonl" --format nope
expect_err_match "an unknown --format named" "unknown format 'nope'"
expect_exit "a format that does not fit" 2 "$REFEREE" rescore "$F/vllm/outputs.jsonl" --format verl
expect_err_match "the misfit named with its line" "line 1: no 'input'"

# the cut-off output says "the final answer is 7": never read, also with the
# harness preset that credits prose
expect_exit "harness preset on cut-off outputs" 0 "$REFEREE" rescore "$F/openai-chat/completions.jsonl" --extract harness --samples "$T/s.jsonl"
if grep -q '"sample":7,.*"answer":"",.*cut off at the length limit' "$T/s.jsonl"; then ok "a truncated output gives no answer"
else not_ok "a truncated output gives no answer" "$(grep '"sample":7' "$T/s.jsonl" | head -1)"; fi

# Qwen2.5-Math: a garbled gt is said per sample
expect_exit "qwen-math samples" 0 "$REFEREE" rescore "$F/qwen-math/math_cot_10.jsonl" --samples "$T/q.jsonl"
if [ "$(grep -c '"note":"harness gt' "$T/q.jsonl")" = 8 ]; then ok "the 8 samples of the garbled gt carry a note"
else not_ok "the 8 samples of the garbled gt carry a note" "$(grep -c note "$T/q.jsonl")"; fi
printf '%s\n' '{"idx": 1, "gt": "\\begin{pmatrix} 1 & 2  3 & 4 \\end{pmatrix}", "answer": "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "code": ["so \\boxed{\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}}"], "pred": [""], "score": [false]}' >"$T/pm.jsonl"
expect_exit "a pmatrix gt whose rows were stripped" 0 "$REFEREE" rescore "$T/pm.jsonl" --samples -
expect_out_match "said, and scored against the original" '"correct":true.*row separators were stripped'

# a line that fits two readers is not guessed
printf '%s\n' '{"choices": [{"message": {"content": "\\boxed{1}"}}], "outputs": [{"text": "\\boxed{1}"}], "answer": "1"}' >"$T/amb.jsonl"
expect_exit "an ambiguous first line" 2 "$REFEREE" rescore "$T/amb.jsonl"
expect_err_match "names the candidates" "fits several formats \(openai-chat, vllm\): give --format"
expect_exit "resolved by --format" 0 "$REFEREE" rescore "$T/amb.jsonl" --format vllm

# claims: all confirmed, then each aggregate tampered with
expect_exit "one claim per format confirmed" 0 "$REFEREE" check "$F"
expect_out_match "five confirmed" "5 claims: 5 confirmed"
cp -r "$F" "$T/f"
cp "$F/verl/metrics-tampered.jsonl" "$T/f/verl/metrics.jsonl"
expect_exit "verl: a tampered logged mean" 1 "$REFEREE" check "$T/f" --explain
expect_out_match "verl: the claim is inconsistent" "verl-step-1-reward .*INCONSISTENT"
expect_out_match "verl: the step is named" "step 2 \(logged 0.9875, re-scored 1\)"
cp "$F/verl/metrics.jsonl" "$T/f/verl/metrics.jsonl"
cp "$F/lm-eval/results-tampered.json" "$T/f/lm-eval/results_2025-06-01T12-00-00.000000.json"
expect_exit "lm-eval: a tampered results file" 1 "$REFEREE" check "$T/f" --explain
expect_out_match "lm-eval: the claim is inconsistent" "lm-eval-exact-match .*INCONSISTENT"
expect_out_match "lm-eval: says why" "exact_match,none\" = 0.95: not the mean of its samples"
cp "$F/lm-eval/results_2025-06-01T12-00-00.000000.json" "$T/f/lm-eval/"
sed -i 's/claimed: 93.75%/claimed: 95.0%/' "$T/f/claims.yaml"
expect_exit "qwen-math: an inflated pass@1" 1 "$REFEREE" check "$T/f"
expect_out_match "qwen-math: inconsistent" "qwen-math-pass-at-1 .*INCONSISTENT"
sed -i 's/claimed: 95.0%/claimed: 93.75%/' "$T/f/claims.yaml"
# one vLLM output's boxed answer changed: the derived figure moves
python3 - "$T/f/vllm/outputs.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows[0]["outputs"][0]["text"] += " \\boxed{123456}"
open(sys.argv[1], "w").write("".join(json.dumps(r) + "\n" for r in rows))
PY
expect_exit "vllm: a tampered output" 1 "$REFEREE" check "$T/f"
expect_out_match "vllm: inconsistent" "vllm-pass-at-1 .*INCONSISTENT"
done_testing
