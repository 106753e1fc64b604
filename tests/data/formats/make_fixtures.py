#!/usr/bin/env python3
"""Build one example per rescore input format from real model outputs.

The responses are those of tests/data/math_cot_80.jsonl (real outputs of
the Qwen2.5-Math evaluation suite; see ../README-rescore.md), laid out the
way each tool writes its files, field for field, as read in the tool's own
writer (the source file and version are cited beside each builder and in
../README-rescore.md).  Run from the repository root:

    python3 tests/data/formats/make_fixtures.py

The output is deterministic: the files in git are this script's output.
"""
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = [json.loads(l) for l in open(os.path.join(HERE, "..", "math_cot_80.jsonl"), encoding="utf-8")]
PROBLEMS = ROWS[:10]          # 10 problems x 8 responses
# the adjudicated labels (../math_cot_80.labels.tsv): what a correct reward
# gives, where the recorded Qwen verdicts (`score`) are wrong on problem 3
LABEL = {}
for line in open(os.path.join(HERE, "..", "math_cot_80.labels.tsv"), encoding="utf-8"):
    if not line.startswith("#"):
        f = line.split("\t")
        LABEL[(int(f[0]), int(f[1]))] = f[2] == "1"


def dump(path, records):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def sha(s):
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def verl():
    """verl 0.5: verl/trainer/ppo/ray_trainer.py, RayPPOTrainer._dump_generations
    writes <rollout_data_dir>/<global_step>.jsonl with input, output, gts,
    score, step and the reward's extra infos (acc); verl/utils/tracking.py
    FileLogger appends {"step": N, "data": {metrics}} to
    $VERL_FILE_LOGGER_PATH, with critic/score/mean|max|min from
    verl/trainer/ppo/metric_utils.py compute_data_metrics (the sequence
    score: the same numbers the dump's score holds)."""
    log = []
    for step, probs in ((1, PROBLEMS[:5]), (2, PROBLEMS[5:])):
        recs = []
        for p in probs:
            prompt = ("<|im_start|>system\nPlease reason step by step, and put your final answer "
                      "within \\boxed{}.<|im_end|>\n<|im_start|>user\n" + p["question"] +
                      "<|im_end|>\n<|im_start|>assistant\n")
            for i, c in enumerate(p["code"]):
                ok = LABEL[(p["idx"], i)]
                recs.append({"input": prompt, "output": c, "gts": p["answer"],
                             "score": 1.0 if ok else 0.0, "step": step, "acc": ok})
        dump(os.path.join(HERE, "verl", "rollouts", "%d.jsonl" % step), recs)
        scores = [r["score"] for r in recs]
        log.append({"step": step, "data": {
            "critic/score/mean": sum(scores) / len(scores), "critic/score/max": max(scores),
            "critic/score/min": min(scores), "critic/rewards/mean": sum(scores) / len(scores),
            "response_length/mean": sum(len(r["output"]) for r in recs) / len(recs) / 4.0,
            "actor/pg_loss": -0.01 * step, "timing_s/step": 41.5 + step}})
    dump(os.path.join(HERE, "verl", "metrics.jsonl"), log)
    # the same log with step 2's mean reward raised: must be caught
    bad = json.loads(json.dumps(log))
    bad[1]["data"]["critic/score/mean"] = 0.9875
    dump(os.path.join(HERE, "verl", "metrics-tampered.jsonl"), bad)


def lm_eval():
    """lm-evaluation-harness v0.4.8: lm_eval/evaluator.py (evaluate: the
    logged example with doc_id, doc, target, arguments, resps,
    filtered_resps, filter, metrics, doc_hash, prompt_hash, target_hash and
    the metric values) and lm_eval/loggers/evaluation_tracker.py
    (samples_<task>_<date>.jsonl and results_<date>.json, whose per-task
    results carry "<metric>,<filter>" and "<metric>_stderr,<filter>")."""
    task = "minerva_math_algebra"
    date = "2025-06-01T12-00-00.000000"
    samples, vals = [], []
    for doc_id, p in enumerate(PROBLEMS):
        prompt = "Problem:\n" + p["question"] + "\n\nSolution:"
        for filt, resp_of in (("none", lambda c: c), ("flexible-extract", lambda c: c)):
            resp = p["code"][0]
            em = 1.0 if LABEL[(p["idx"], 0)] else 0.0
            samples.append({
                "doc_id": doc_id,
                "doc": {"problem": p["question"], "solution": p["solution"], "answer": p["answer"]},
                "target": p["answer"],
                "arguments": {"gen_args_0": {"arg_0": prompt, "arg_1": {
                    "until": ["Problem:"], "do_sample": False, "temperature": 0.0, "max_gen_toks": 2048}}},
                "resps": [[resp]],
                "filtered_resps": [resp_of(resp)],
                "filter": filt,
                "metrics": ["exact_match"],
                "doc_hash": sha(json.dumps(p["question"])),
                "prompt_hash": sha(prompt),
                "target_hash": sha(p["answer"]),
                "exact_match": em,
            })
            if filt == "none":
                vals.append(em)
    dump(os.path.join(HERE, "lm-eval", "samples_%s_%s.jsonl" % (task, date)), samples)
    n = len(vals)
    mean = sum(vals) / n
    se = (sum((v - mean) ** 2 for v in vals) / (n - 1)) ** 0.5 / n ** 0.5
    results = {
        "results": {task: {"alias": task, "exact_match,none": mean, "exact_match_stderr,none": se,
                           "exact_match,flexible-extract": mean,
                           "exact_match_stderr,flexible-extract": se}},
        "group_subtasks": {task: []},
        "configs": {task: {"task": task, "output_type": "generate_until", "num_fewshot": 0}},
        "versions": {task: 1.0},
        "n-shot": {task: 0},
        "higher_is_better": {task: {"exact_match": True}},
        "n-samples": {task: {"original": n, "effective": n}},
        "config": {"model": "vllm", "model_args": "pretrained=Qwen/Qwen2.5-Math-7B-Instruct",
                   "batch_size": "auto", "limit": None},
        "lm_eval_version": "0.4.8",
        "date": 1748779200.0,
    }
    with open(os.path.join(HERE, "lm-eval", "results_%s.json" % date), "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    bad = json.loads(json.dumps(results))
    bad["results"][task]["exact_match,none"] = 0.95
    with open(os.path.join(HERE, "lm-eval", "results-tampered.json"), "w") as f:
        json.dump(bad, f, indent=2)
        f.write("\n")


def truncate(text):
    """The first half of a response, its box removed: what a length limit
    leaves (it still says "the answer is" something it had not checked)."""
    half = text[: len(text) // 2].replace("\\boxed", "")
    return half + " Wait, I recall the final answer is 7. Let me verify this by"


def openai_chat():
    """OpenAI Chat Completions response objects (openai-python 1.x
    ChatCompletion.model_dump(): id, object, created, model, choices[] with
    index, message {role, content}, finish_reason, usage) dumped one a line
    by a generation script, with the script's own `answer` beside them."""
    recs = []
    for p in PROBLEMS:
        choices = []
        for i, c in enumerate(p["code"]):
            cut = (p["idx"], i) == (PROBLEMS[0]["idx"], 7)
            choices.append({"index": i, "message": {"role": "assistant",
                            "content": truncate(c) if cut else c},
                            "logprobs": None, "finish_reason": "length" if cut else "stop"})
        recs.append({"id": "chatcmpl-%s" % sha(p["question"])[:24], "object": "chat.completion",
                     "created": 1748779200, "model": "Qwen2.5-Math-7B-Instruct",
                     "choices": choices,
                     "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                     "answer": p["answer"]})
    dump(os.path.join(HERE, "openai-chat", "completions.jsonl"), recs)


def vllm():
    """vLLM 0.8 offline outputs: vllm/outputs.py RequestOutput (request_id,
    prompt, prompt_token_ids, outputs[] of CompletionOutput: index, text,
    token_ids, cumulative_logprob, logprobs, finish_reason, stop_reason;
    finished) serialised one a line by a generation script, with its own
    `answer`."""
    recs = []
    for n, p in enumerate(PROBLEMS):
        outs = []
        for i, c in enumerate(p["code"]):
            cut = n == 1 and i == 0
            outs.append({"index": i, "text": truncate(c) if cut else c, "token_ids": [],
                         "cumulative_logprob": None, "logprobs": None,
                         "finish_reason": "length" if cut else "stop", "stop_reason": None})
        recs.append({"request_id": str(n), "prompt": p["question"], "prompt_token_ids": None,
                     "outputs": outs, "finished": True, "answer": p["answer"]})
    dump(os.path.join(HERE, "vllm", "outputs.jsonl"), recs)


def qwen():
    """Qwen2.5-Math evaluation/math_eval.py output: the first 10 lines of
    math_cot_80.jsonl as they are (it is that harness's output)."""
    dump(os.path.join(HERE, "qwen-math", "math_cot_10.jsonl"), PROBLEMS)


verl()
lm_eval()
openai_chat()
vllm()
qwen()
