#!/usr/bin/env bash
# referee replay as evidence (review findings on issue 6): --check compares
# every figure of the author's summary.json and the shipped weights, not only
# the log; the `replay` claims source derives figures from the log and holds
# the summary to it; --out never overwrites silently; a malformed author log
# or summary is refused before anything is re-run.
. "$(dirname "$0")/lib.sh"
R=$REPO_DIR/manifests/tiny-grpo/test.yaml

expect_exit "the test recipe runs" 0 "$REFEREE" replay "$R" --out "$T/a" -j 2 --quiet
# edit one key of a summary.json (python: no jq needed)
setsum() { python3 - "$@" <<'PY'
import json, sys
p, key, val = sys.argv[1] + "/summary.json", sys.argv[2], sys.argv[3]
s = json.load(open(p))
if val == "DELETE":
    del s[key]
else:
    s[key] = json.loads(val)
json.dump(s, open(p, "w"), indent=2)
PY
}
cpa() { rm -rf "$T/$1"; cp -r "$T/a" "$T/$1"; }

# ---- 1a: --check compares the summary's figures and the shipped weights
expect_exit "an unchanged replay is confirmed" 0 "$REFEREE" replay --check "$T/a" --quiet
expect_out_match "with every summary figure" "^summary: every figure agrees with the re-run's"
expect_out_match "and the shipped weights" "shipped model.safetensors hashes to the summary's digest"

cpa s1; acc=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['accuracy_final'])" "$T/a/summary.json")
setsum "$T/s1" accuracy_final 0.9
expect_exit "an edited accuracy_final in the summary is caught" 1 "$REFEREE" replay --check "$T/s1" --quiet
expect_out_match "naming the figure and both values" "^summary: accuracy_final is 0.9 in the author's summary, $acc in the re-run's"
expect_out_match "and says it differs" "replay DIFFERS"
expect_exit "... and no tolerance excuses it" 1 "$REFEREE" replay --check "$T/s1" --quiet --tolerance 1e-2

cpa s2; setsum "$T/s2" parameters 1
expect_exit "counts are exact even under --tolerance" 1 "$REFEREE" replay --check "$T/s2" --quiet --tolerance 0.5
expect_out_match "named" "^summary: parameters is 1 in the author's summary"

cpa s3; setsum "$T/s3" recipe_digest DELETE
expect_exit "a summary missing a figure is caught" 1 "$REFEREE" replay --check "$T/s3" --quiet
expect_out_match "named" "^summary: the author's summary lacks recipe_digest"

cpa s4; setsum "$T/s4" log_sha256 '"'"$(printf 0%.0s $(seq 64))"'"'
expect_exit "a summary whose log_sha256 is not its log's is caught" 1 "$REFEREE" replay --check "$T/s4" --quiet
expect_out_match "named" "^summary: log_sha256 is 0000000000000000\.\.\. in the author's summary, but the author's log.jsonl hashes to"

cpa w1; printf 'x' >>"$T/w1/model.safetensors"
expect_exit "a shipped model.safetensors with a byte appended is caught" 1 "$REFEREE" replay --check "$T/w1" --quiet
expect_out_match "with both digests" "^weights: the shipped model.safetensors hashes to [0-9a-f]{64}, not the summary's [0-9a-f]{64}"
expect_exit "... also under --tolerance" 1 "$REFEREE" replay --check "$T/w1" --quiet --tolerance 1e-3
mkdir -p "$T/bag/data/replay" && cp "$T/w1"/* "$T/bag/data/replay/"
expect_exit "... and inside a bundle layout" 1 "$REFEREE" replay --check "$T/bag" --quiet

# ---- 1b: claims come from the log; a summary that disagrees with it is
# INCONSISTENT
mkdir -p "$T/cl" && cp -r "$T/a" "$T/cl/replay"
cat >"$T/cl/claims.yaml" <<YAML
kind: claims
schema: 1
name: replay-evidence
claims:
  - id: acc-final
    sentence: "held-out accuracy after RL is $acc"
    claimed: "$acc"
    precision: "±0.0001"
    from: {source: replay, metric: accuracy-final}
YAML
expect_exit "a claim the log supports is CONFIRMED" 0 "$REFEREE" check "$T/cl" --explain
expect_out_match "derived from the log's last evaluation" "replay/log.jsonl: last evaluation \(step 4\): accuracy = $acc"
expect_out_match "saying what confirms the log" "replay --check' re-runs the recipe"
setsum "$T/cl/replay" accuracy_final 0.9
sed -i "s/\"$acc\"/\"0.9\"/" "$T/cl/claims.yaml"
expect_exit "an edited summary.json does not confirm \"0.9\"" 1 "$REFEREE" check "$T/cl" --explain
expect_out_match "the claim is INCONSISTENT" "acc-final.*INCONSISTENT"
expect_out_match "with the reason" "summary.json gives accuracy_final = 0.9, but log.jsonl's accuracy of the last evaluation \(step 4\) is $acc"
# the log edited to match the summary: its digest no longer does
python3 - "$T/cl/replay/log.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
[r for r in rows if r["type"] == "eval"][-1]["accuracy"] = 0.9
open(sys.argv[1], "w").write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows))
PY
expect_exit "a log edited to match is caught by the summary's log_sha256" 1 "$REFEREE" check "$T/cl" --explain
expect_out_match "with the reason" "log_sha256 is [0-9a-f]{12}\.\.\., but log.jsonl hashes to"
# and with the digest forged too, the claim is as good as the log: only a
# re-run tells
setsum "$T/cl/replay" log_sha256 "\"$(sha256sum <"$T/cl/replay/log.jsonl" | cut -d' ' -f1)\""
expect_exit "a forged log and summary agree with each other" 0 "$REFEREE" check "$T/cl"
expect_exit "... and replay --check catches the forged log" 1 "$REFEREE" replay --check "$T/cl/replay" --quiet
expect_out_match "at the edited evaluation" "\(eval step 4\): accuracy is 0.9 in the author's log"
printf 'not json\n' >>"$T/cl/replay/log.jsonl"
expect_exit "a malformed log is bad input for a claim" 2 "$REFEREE" check "$T/cl"

# ---- 2: --out never overwrites silently
mkdir -p "$T/o1" && echo keep >"$T/o1/notes.txt"
expect_exit "--out onto a non-empty directory is refused" 2 "$REFEREE" replay "$R" --out "$T/o1" --quiet
expect_err_match "saying so" "^referee replay: --out: '.*/o1' exists and is not empty \(--force"
if [ "$(cat "$T/o1/notes.txt")" = keep ] && [ "$(ls "$T/o1")" = notes.txt ]; then ok "... and leaves it untouched"
else not_ok "... and leaves it untouched" "$(ls "$T/o1")"; fi
expect_exit "--out onto an existing run is refused" 2 "$REFEREE" replay "$R" --out "$T/a" --quiet
: >"$T/o2"
expect_exit "--out onto a file is refused" 2 "$REFEREE" replay "$R" --out "$T/o2" --quiet --force
mkdir -p "$T/o3"
expect_exit "--out onto an empty directory runs" 0 "$REFEREE" replay "$R" --out "$T/o3" --quiet
expect_exit "--force replaces a non-empty directory" 0 "$REFEREE" replay "$R" --out "$T/o1" --quiet --force
if [ ! -e "$T/o1/notes.txt" ] && cmp -s "$T/o1/log.jsonl" "$T/a/log.jsonl"; then ok "... with the new run only"
else not_ok "... with the new run only" "$(ls "$T/o1")"; fi
echo keep >"$T/o3/notes.txt"
REFEREE_CUDA_MODULE="$T/none.so" run "$REFEREE" replay "$R" --out "$T/o3" --quiet --force --device cuda
if [ "$rc" -ne 0 ] && [ -e "$T/o3/notes.txt" ] && cmp -s "$T/o3/log.jsonl" "$T/a/log.jsonl"; then
  ok "a failed --force run leaves the old run in place"
else not_ok "a failed --force run leaves the old run in place" "rc $rc; $(ls "$T/o3")"; fi
left=$(ls -d "$T"/o1.* "$T"/o3.* 2>/dev/null)
if [ -z "$left" ]; then ok "no temporary siblings left behind"; else not_ok "no temporary siblings left behind" "$left"; fi
expect_exit "--check --out onto a non-empty directory is refused" 2 "$REFEREE" replay --check "$T/a" --out "$T/o1" --quiet
expect_exit "--check --out the replay being checked is refused, even with --force" 2 "$REFEREE" replay --check "$T/a" --out "$T/a" --quiet --force
expect_err_match "saying so" "is the replay being checked"
expect_exit "--check --out --force keeps the re-run" 0 "$REFEREE" replay --check "$T/a" --out "$T/o1" --quiet --force
expect_true "... in that directory" cmp "$T/o1/log.jsonl" "$T/a/log.jsonl"
expect_exit "--force without --out is bad usage" 2 "$REFEREE" replay "$R" --force

# ---- 3: the author's files are validated before the re-run
cpa m1; sed -i '12s/.*/{"type":"grpo","step":/' "$T/m1/log.jsonl"
expect_exit "a malformed author log is refused" 2 "$REFEREE" replay --check "$T/m1"
expect_err_match "naming file:line" "^referee replay: '.*/m1/log.jsonl':12:"
if grep -q 're-running\|replay: step' "$T/err"; then not_ok "... before re-running" "$(cat "$T/err")"
else ok "... before re-running"; fi
cpa m2; sed -i '5s/"type":"sft"/"type":"rl"/' "$T/m2/log.jsonl"
expect_exit "a log row of an unknown type is refused" 2 "$REFEREE" replay --check "$T/m2" --quiet
expect_err_match "naming file:line" "'.*/m2/log.jsonl':5: \"type\""
cpa m3; sed -i '3s/"loss":/"loss":"x","l":/' "$T/m3/log.jsonl"
expect_exit "a non-numeric metric is refused" 2 "$REFEREE" replay --check "$T/m3" --quiet
expect_err_match "naming file:line" "'.*/m3/log.jsonl':3: \"loss\" must be a number"
cpa m4; head -c 40 "$T/a/summary.json" >"$T/m4/summary.json"
expect_exit "a truncated summary is refused" 2 "$REFEREE" replay --check "$T/m4"
expect_err_match "naming file:line:column" "'.*/m4/summary.json':[0-9]+:[0-9]+:"
if grep -q 're-running' "$T/err"; then not_ok "... before re-running"; else ok "... before re-running"; fi
cpa m5; setsum "$T/m5" accuracy_final '"high"'
expect_exit "a summary figure that is not a number is refused" 2 "$REFEREE" replay --check "$T/m5" --quiet
expect_err_match "named" "summary.json': accuracy_final: expected a number"
done_testing
