#!/usr/bin/env bash
# referee replay: the small test recipe runs; the same recipe gives a
# byte-identical log and weight digest twice and with 1 or 2 threads; another
# seed gives another digest; --check confirms a replay, catches a log edited
# at one step (naming that step) and a changed weight digest; the logged GRPO
# batches pass 'grpo audit'; malformed recipes fail with line:column.
. "$(dirname "$0")/lib.sh"
R=$REPO_DIR/manifests/tiny-grpo/test.yaml

expect_exit "the test recipe runs (1 thread)" 0 "$REFEREE" replay "$R" --out "$T/a" -j 1
expect_err_match "a progress line per evaluation" '^replay: step 4/4  reward [0-9.]+  held-out accuracy [0-9.]+  kl [0-9.]+  [0-9]+ tok/s'
for f in log.jsonl model.safetensors summary.json recipe.yaml; do
  if [ -s "$T/a/$f" ]; then ok "writes $f"; else not_ok "writes $f"; fi
done
expect_exit "again with 2 threads, logging batches" 0 "$REFEREE" replay "$R" --out "$T/b" -j 2 --quiet --batches
if [ ! -s "$T/err" ]; then ok "--quiet prints no progress"; else not_ok "--quiet prints no progress" "$(cat "$T/err")"; fi
expect_exit "again, 1 thread" 0 "$REFEREE" replay "$R" --out "$T/c" -j 1 --quiet
expect_true "1 and 2 threads: byte-identical logs" cmp "$T/a/log.jsonl" "$T/b/log.jsonl"
expect_true "1 and 2 threads: byte-identical weights" cmp "$T/a/model.safetensors" "$T/b/model.safetensors"
expect_true "two runs: byte-identical logs" cmp "$T/a/log.jsonl" "$T/c/log.jsonl"
digest() { sed -n 's/.*"weights_sha256": "\([0-9a-f]*\)".*/\1/p' "$1/summary.json"; }
if [ "$(digest "$T/a")" = "$(sha256sum <"$T/a/model.safetensors" | cut -d' ' -f1)" ]; then
  ok "the summary holds the weights' SHA-256 (as sha256sum computes it)"
else not_ok "the summary holds the weights' SHA-256"; fi
if [ "$(digest "$T/a")" = "$(digest "$T/b")" ]; then ok "same digest with 1 and 2 threads"; else not_ok "same digest"; fi
rd=$(sed -n 's/.*"recipe_digest": "\([0-9a-f]*\)".*/\1/p' "$T/a/summary.json")
if [ -n "$rd" ] && "$REFEREE" digest "$R" | grep -q "^$rd "; then ok "the summary holds the recipe's canonical digest"
else not_ok "the summary holds the recipe's canonical digest" "$rd"; fi

sed 's/^seed: 7$/seed: 8/' "$R" >"$T/seed8.yaml"
expect_exit "another seed runs" 0 "$REFEREE" replay "$T/seed8.yaml" --out "$T/d" --quiet
if [ "$(digest "$T/a")" != "$(digest "$T/d")" ]; then ok "another seed: another digest"; else not_ok "another seed: another digest"; fi

# countdown: runs, rewards by the rule, same bits with 1 and 2 threads
sed -e 's/name: add/name: countdown\n  numbers: 3\n  max-number: 9\n  max-target: 50/' -e 's/^  digits: 1$//' "$R" >"$T/cd.yaml"
expect_exit "a countdown recipe runs" 0 "$REFEREE" replay "$T/cd.yaml" --out "$T/cd1" -j 1 --quiet
expect_exit "... again with 2 threads" 0 "$REFEREE" replay "$T/cd.yaml" --out "$T/cd2" -j 2 --quiet
expect_true "countdown: byte-identical logs" cmp "$T/cd1/log.jsonl" "$T/cd2/log.jsonl"
if grep -q '"type":"grpo","step":4,.*"completion_len":' "$T/cd1/log.jsonl"; then ok "countdown: GRPO rows logged"
else not_ok "countdown: GRPO rows logged" "$(tail -3 "$T/cd1/log.jsonl")"; fi

# the logged batches follow from their data
n=0; bad=0
for f in "$T/b"/batches/*.jsonl; do
  n=$((n + 1)); "$REFEREE" grpo audit "$f" >/dev/null 2>&1 || bad=$((bad + 1))
done
if [ "$n" -eq 8 ] && [ "$bad" -eq 0 ]; then ok "all 8 logged batches pass grpo audit"
else not_ok "logged batches pass grpo audit" "$n batches, $bad failed"; fi
f=$T/b/batches/step-000003-1.jsonl
# the trainer's logged loss on a real batch (second inner update: ratios
# away from 1, a KL term) is PyTorch's GRPO loss on the same batch
if "$SYSPY" -c "import torch" 2>/dev/null; then
  "$SYSPY" "$TESTS_DIR/py/grpo_torch.py" annotate "$f" "$T/torch.jsonl"
  if "$SYSPY" - "$f" "$T/torch.jsonl" >"$T/cmp.txt" 2>&1 <<'PY'
import json, sys
def stats(p):
    return [json.loads(l)["stats"] for l in open(p) if '"stats"' in l][0]
a, b = stats(sys.argv[1]), stats(sys.argv[2])
bad = [k for k in ("loss", "kl", "clip_frac", "ratio_mean", "reward_mean")
       if abs(a[k] - b[k]) > 1e-6 * max(1, abs(b[k]))]
print("referee", a, "\ntorch", b)
sys.exit(1 if bad or a["ratio_mean"] == 1.0 else 0)
PY
  then ok "the trainer's GRPO loss, KL and clip fraction equal PyTorch's on its batch"
  else not_ok "the trainer's GRPO loss equals PyTorch's" "$(cat "$T/cmp.txt")"; fi
else
  skip "the trainer's GRPO loss equals PyTorch's" "no torch under $SYSPY"
fi
sed -E 's/"loss":(-?)0\./"loss":\10.1/' "$f" >"$T/tampered.jsonl"
expect_exit "a batch with an edited loss fails the audit" 1 "$REFEREE" grpo audit "$T/tampered.jsonl"

# --check: a directory, then a bundle layout (data/replay/)
expect_exit "--check confirms an unchanged replay" 0 "$REFEREE" replay --check "$T/a" --quiet
expect_out_match "bit for bit" "every row agrees with the author's, bit for bit"
expect_out_match "confirmed" "replay CONFIRMED"
mkdir -p "$T/bag/data/replay" && cp "$T/a"/log.jsonl "$T/a"/summary.json "$T/a"/recipe.yaml "$T/bag/data/replay/"
expect_exit "--check finds the replay in a bundle's data/replay/" 0 "$REFEREE" replay --check "$T/bag" --quiet -j 2

# a real bundle: verified first, then replayed
mkdir -p "$T/pk" && cp -r "$T/a" "$T/pk/replay"
(cd "$T/pk" && "$REFEREE" pack bag replay >/dev/null 2>&1)
expect_exit "--check on a packed bundle" 0 "$REFEREE" replay --check "$T/pk/bag" --quiet
sed -i -E 's/"grad_norm":([0-9])/"grad_norm":9\1/' "$T/pk/bag/data/replay/log.jsonl"
expect_exit "--check refuses a bundle that does not verify" 1 "$REFEREE" replay --check "$T/pk/bag" --quiet
expect_out_match "saying why" "bundle: mismatch: 'data/replay/log.jsonl'"

cp -r "$T/a" "$T/e"
line=$(grep -n '"type":"grpo","step":3,' "$T/e/log.jsonl" | cut -d: -f1)
sed -i -E "${line}s/\"kl\":([0-9.e-]+)/\"kl\":0.5/" "$T/e/log.jsonl"
expect_exit "--check catches a log edited at one step" 1 "$REFEREE" replay --check "$T/e" --quiet
expect_out_match "and names the step and metric" "parts at line $line \(grpo step 3\): kl is 0.5 in the author's log"
expect_out_match "says it differs" "replay DIFFERS"
expect_exit "--tolerance does not excuse a large edit" 1 "$REFEREE" replay --check "$T/e" --quiet --tolerance 1e-3

cp -r "$T/a" "$T/h"
python3 - "$T/h/log.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for r in rows:
    if r["type"] == "grpo" and r["step"] == 2:
        r["loss"] = float("%.9g" % (r["loss"] * (1 + 2e-7)))
open(sys.argv[1], "w").write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows))
PY
# as a run on other hardware would be: its summary names its own log
python3 - "$T/h" <<'PY'
import hashlib, json, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json"))
s["log_sha256"] = hashlib.sha256(open(d + "/log.jsonl", "rb").read()).hexdigest()
json.dump(s, open(d + "/summary.json", "w"), indent=2)
PY
expect_exit "--check catches a last-digits difference" 1 "$REFEREE" replay --check "$T/h" --quiet
expect_out_match "at its step" "grpo step 2\): loss"
expect_exit "... which --tolerance 1e-5 accepts" 0 "$REFEREE" replay --check "$T/h" --quiet --tolerance 1e-5
expect_out_match "saying so" "agrees with the author's \(within the tolerance\)"

cp -r "$T/a" "$T/f"
sed -i -E 's/"weights_sha256": "[0-9a-f]{8}/"weights_sha256": "00000000/' "$T/f/summary.json"
expect_exit "--check catches a changed weight digest" 1 "$REFEREE" replay --check "$T/f" --quiet
expect_out_match "weights differ" "weights: sha256 [0-9a-f]+ != 00000000"

cp -r "$T/a" "$T/g"
head -n -2 "$T/a/log.jsonl" >"$T/g/log.jsonl"
expect_exit "--check catches a truncated log" 1 "$REFEREE" replay --check "$T/g" --quiet
expect_out_match "says where" "the re-run's log has rows the author's lacks"

# claims derived from a replay (source: replay)
mkdir -p "$T/cl" && cp -r "$T/a" "$T/cl/replay"
acc=$(sed -n 's/.*"eval_reward_final": \([0-9.]*\).*/\1/p' "$T/a/summary.json")
cat >"$T/cl/claims.yaml" <<YAML
kind: claims
schema: 1
name: replay-claims
claims:
  - id: reward-final
    sentence: "final held-out reward $acc"
    claimed: "$acc"
    precision: "±0.001"
    from: {source: replay, metric: eval-reward-final}
  - id: gain
    claimed: "0"
    precision: "±0.001"
    from: {source: replay, dir: replay, metric: accuracy-gain}
  - id: step-2
    claimed: "$acc"
    precision: "±0.001"
    from: {source: replay, metric: reward_mean, step: 2}
YAML
expect_exit "claims from a replay are CONFIRMED" 0 "$REFEREE" check "$T/cl"
expect_out_match "the replay claim is in the table" "reward-final.*CONFIRMED"
sed -i 's/claimed: "0"/claimed: "0.5"/' "$T/cl/claims.yaml"
expect_exit "a claim the replay does not support is INCONSISTENT" 1 "$REFEREE" check "$T/cl"
expect_out_match "named" "gain.*INCONSISTENT"
sed -i 's/claimed: "0.5"/claimed: "0"/; s/step: 2}/step: 3}/' "$T/cl/claims.yaml"
expect_exit "a step without an evaluation leaves the claim UNVERIFIABLE" 0 "$REFEREE" check "$T/cl"
expect_out_match "named" "step-2.*UNVERIFIABLE"
sed -i 's/step: 3}/step: 2, dir: ..\/x}/' "$T/cl/claims.yaml"
expect_exit "a dir leaving the bundle is refused" 2 "$REFEREE" check "$T/cl"

# the showcase's claims, from the author's replay committed with it
expect_exit "tiny-grpo's claims are CONFIRMED by its replay" 0 "$REFEREE" check "$REPO_DIR/manifests/tiny-grpo"
expect_out_match "all four" "4 claims: 4 confirmed"
mkdir -p "$T/tg" && cp -r "$REPO_DIR/manifests/tiny-grpo/claims.yaml" "$REPO_DIR/manifests/tiny-grpo/replay" "$T/tg/"
sed -i 's/claimed: "0.88"/claimed: "0.95"/' "$T/tg/claims.yaml"
expect_exit "an overstated accuracy after RL is INCONSISTENT" 1 "$REFEREE" check "$T/tg"
expect_out_match "named" "accuracy-after-rl +0.95 +0.882 +INCONSISTENT"

# bad input
expect_exit "--check on a directory without a replay" 2 "$REFEREE" replay --check "$T" --quiet
expect_exit "no --out" 2 "$REFEREE" replay "$R"
printf 'kind: replay-recipe\nschema: 1\ntask:\n  name: add\n  digits: 12\n' >"$T/bad1.yaml"
expect_exit "out-of-range digits" 2 "$REFEREE" replay "$T/bad1.yaml" --out "$T/x"
expect_err_match "named with line:column" "bad1.yaml:5:11: task.digits"
printf 'kind: replay-recipe\nschema: 1\ntask:\n  name: add\nmodel:\n  d-model: 30\n  heads: 4\n' >"$T/bad2.yaml"
expect_exit "heads that do not divide d-model" 2 "$REFEREE" replay "$T/bad2.yaml" --out "$T/x"
expect_err_match "named with line:column" "bad2.yaml:7:10: model.heads"
printf 'kind: replay-recipe\nschema: 1\ntask:\n  name: add\ngrpo:\n  group_size: 4\n' >"$T/bad3.yaml"
expect_exit "an unknown key (typo)" 2 "$REFEREE" replay "$T/bad3.yaml" --out "$T/x"
expect_err_match "names it" "bad3.yaml:6:3: .*group_size"
printf 'kind: replay-recipe\nschema: 1\ntask:\n  name: multiply\n' >"$T/bad4.yaml"
expect_exit "an unknown task" 2 "$REFEREE" replay "$T/bad4.yaml" --out "$T/x"
expect_err_match "names it" "bad4.yaml:4:9: task.name"
# the warm-start's learning-rate schedule: warm-up then cosine, logged per step
sed -e 's/^  data-size: 64$/  data-size: 64\n  warmup-steps: 4\n  schedule: cosine\n  min-learning-rate: 0.001/' "$R" >"$T/cos.yaml"
expect_exit "a recipe with warm-up and cosine decay runs" 0 "$REFEREE" replay "$T/cos.yaml" --out "$T/cos1" -j 1 --quiet
lrs=$(sed -n 's/.*"type":"sft".*"lr":\([0-9.e-]*\)}$/\1/p' "$T/cos1/log.jsonl" | tr '\n' ' ')
# steps 1-4: 0.01 x step/4; 5-10: 0.001 + 0.0045 (1 + cos(pi (step-4)/6))
want=$(python3 -c 'import math
print(" ".join("%.9g" % (float(__import__("numpy").float32(v))) for v in
  [0.01*s/4 for s in range(1,5)] + [0.001+0.0045*(1+math.cos(math.pi*(s-4)/6)) for s in range(5,11)]))' 2>/dev/null ||
  python3 -c 'import math,struct
f=lambda v: struct.unpack("f", struct.pack("f", v))[0]
print(" ".join("%.9g" % f(v) for v in [0.01*s/4 for s in range(1,5)] + [0.001+0.0045*(1+math.cos(math.pi*(s-4)/6)) for s in range(5,11)]))')
if [ "$lrs" = "$want " ]; then ok "the logged learning rates follow warm-up then cosine to min-learning-rate"
else not_ok "the logged learning rates follow the schedule" "got: $lrs; want: $want"; fi
expect_exit "... again with 2 threads" 0 "$REFEREE" replay "$T/cos.yaml" --out "$T/cos2" -j 2 --quiet
expect_true "scheduled: byte-identical logs" cmp "$T/cos1/log.jsonl" "$T/cos2/log.jsonl"
if ! grep -q '"lr"' "$T/a/log.jsonl"; then ok "a constant schedule logs no lr (old logs unchanged)"
else not_ok "a constant schedule logs no lr"; fi
expect_exit "--check confirms the scheduled run" 0 "$REFEREE" replay --check "$T/cos1" --quiet
# GRPO's warm-up: the learning rate rises over the first steps, logged per row
sed 's/^  learning-rate: 0.003$/  learning-rate: 0.003\n  warmup-steps: 3/' "$R" >"$T/gw.yaml"
expect_exit "a recipe with a GRPO warm-up runs" 0 "$REFEREE" replay "$T/gw.yaml" --out "$T/gw1" -j 1 --quiet
lrs=$(sed -n 's/.*"type":"grpo".*"lr":\([0-9.e-]*\)}$/\1/p' "$T/gw1/log.jsonl" | tr '\n' ' ')
if [ "$lrs" = "0.00100000005 0.00200000009 0.00300000003 0.00300000003 " ]; then ok "GRPO rows log the warm-up's rates as used (float 0.003 x 1/3, 2/3, 1, 1)"
else not_ok "GRPO rows log the warm-up's rates" "$lrs"; fi
if ! cmp -s "$T/gw1/model.safetensors" "$T/a/model.safetensors"; then ok "the warm-up changes the run"
else not_ok "the warm-up changes the run"; fi
expect_exit "--check confirms it" 0 "$REFEREE" replay --check "$T/gw1" --quiet
sed 's/^  warmup-steps: 3$/  warmup-steps: 5/' "$T/gw.yaml" >"$T/bad8.yaml"
expect_exit "a GRPO warm-up longer than the GRPO steps" 2 "$REFEREE" replay "$T/bad8.yaml" --out "$T/x"
expect_err_match "names it" "bad8.yaml:[0-9]+:[0-9]+: grpo.warmup-steps"
sed 's/^  schedule: cosine$/  schedule: linear/' "$T/cos.yaml" >"$T/bad5.yaml"
expect_exit "an unknown schedule" 2 "$REFEREE" replay "$T/bad5.yaml" --out "$T/x"
expect_err_match "names it with line:column" "bad5.yaml:[0-9]+:[0-9]+: warmstart.schedule: expected constant or cosine"
sed 's/^  warmup-steps: 4$/  warmup-steps: 11/' "$T/cos.yaml" >"$T/bad6.yaml"
expect_exit "a warm-up longer than the warm-start" 2 "$REFEREE" replay "$T/bad6.yaml" --out "$T/x"
expect_err_match "names it" "bad6.yaml:[0-9]+:[0-9]+: warmstart.warmup-steps"
sed 's/^  min-learning-rate: 0.001$/  min-learning-rate: 0.02/' "$T/cos.yaml" >"$T/bad7.yaml"
expect_exit "a final learning rate above the peak" 2 "$REFEREE" replay "$T/bad7.yaml" --out "$T/x"
expect_err_match "names it" "bad7.yaml:[0-9]+:[0-9]+: warmstart.min-learning-rate"
expect_exit "lint accepts the recipes" 0 "$REFEREE" lint "$REPO_DIR/manifests/tiny-grpo"
done_testing
