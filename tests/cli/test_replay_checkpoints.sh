#!/usr/bin/env bash
# referee replay checkpoints and spot-checks: a checkpointed run has the
# log and weights of a plain one; a run resumed from any checkpoint gives
# the uninterrupted run's bytes (log, weights, index, summary); a honest
# run passes the spot-check; the forgeries the spot-check must catch are
# caught even when every digest was made to agree again (tests/py/
# replay_reseal.py): an edited segment log, a checkpoint from another seed,
# a zeroed optimizer state, a run stitched from two runs, a later half
# trained with another learning rate, a dropped checkpoint, a reordered
# index.  Also: --out of --check never replaces the replay, what holds it
# or what lies inside it; --check --in SUBDIR inside a bag.
. "$(dirname "$0")/lib.sh"
R=$REPO_DIR/manifests/tiny-grpo/test.yaml
RESEAL="$SYSPY $TESTS_DIR/py/replay_reseal.py"

expect_exit "a checkpointed run (every step)" 0 "$REFEREE" replay "$R" --out "$T/a" --checkpoint-every 1 -j 2 --quiet
expect_exit "a plain run" 0 "$REFEREE" replay "$R" --out "$T/plain" -j 1 --quiet
expect_true "checkpoints do not change the log" cmp "$T/a/log.jsonl" "$T/plain/log.jsonl"
expect_true "... nor the weights" cmp "$T/a/model.safetensors" "$T/plain/model.safetensors"
n=$(ls -d "$T"/a/checkpoints/step-* | wc -l)
if [ "$n" = 5 ]; then ok "one checkpoint after the warm-start and one per step"; else not_ok "5 checkpoints" "$n"; fi
if [ -s "$T/a/checkpoints/step-000001/optimizer.safetensors" ] && [ -s "$T/a/checkpoints/step-000001/reference.safetensors" ] &&
   [ ! -e "$T/a/checkpoints/step-000002/reference.safetensors" ] && [ ! -e "$T/a/checkpoints/step-000000/optimizer.safetensors" ]; then
  ok "AdamW state once it exists; the reference model only when it differs from the policy"
else not_ok "AdamW state and reference files" "$(ls -R "$T/a/checkpoints")"; fi
if cmp -s "$T/a/checkpoints/step-000004/model.safetensors" "$T/a/model.safetensors"; then ok "the last checkpoint's weights are the run's"
else not_ok "the last checkpoint's weights are the run's"; fi

for s in 0 1 2 3 4; do
  expect_exit "resume from step $s" 0 "$REFEREE" replay --resume "$T/a" --from $s --out "$T/r$s" -j 1 --quiet
  expect_true "... the uninterrupted log, byte for byte" cmp "$T/a/log.jsonl" "$T/r$s/log.jsonl"
  expect_true "... the same final weights" cmp "$T/a/model.safetensors" "$T/r$s/model.safetensors"
  expect_true "... the same checkpoint index" cmp "$T/a/checkpoints/index.json" "$T/r$s/checkpoints/index.json"
  expect_true "... the same summary (but wall time and threads)" \
    cmp <(grep -v not_part_of "$T/a/summary.json") <(grep -v not_part_of "$T/r$s/summary.json")
done
expect_exit "resume from a step without a checkpoint" 2 "$REFEREE" replay --resume "$T/a" --from 7 --out "$T/rx" --quiet
expect_err_match "... says so" "no checkpoint at step 7"
cp -r "$T/a" "$T/edrec"
sed -i 's/learning-rate: 0.003/learning-rate: 0.004/' "$T/edrec/recipe.yaml"
expect_exit "resume with another recipe than the checkpoints'" 2 "$REFEREE" replay --resume "$T/edrec" --from 2 --out "$T/rx" --quiet
expect_err_match "... is refused" "made with another recipe"
cp -r "$T/a" "$T/edopt"
printf 'x' | dd of="$T/edopt/checkpoints/step-000002/optimizer.safetensors" bs=1 seek=200 conv=notrunc 2>/dev/null
expect_exit "resume from a checkpoint file that does not match the index" 2 "$REFEREE" replay --resume "$T/edopt" --from 2 --out "$T/rx" --quiet
expect_err_match "... is refused, naming it" "optimizer.safetensors' hashes to"
expect_exit "resume into the run itself" 2 "$REFEREE" replay --resume "$T/a" --from 2 --out "$T/a" --force --quiet

# ---- the spot-check on an honest run ----
expect_exit "spot-check of every segment" 0 "$REFEREE" replay --check "$T/a" --segments all --quiet
expect_out_match "... the chain holds" "^chain: the checkpoint index, every shipped checkpoint"
expect_out_match "... every segment agrees" "^  segment 4 \(steps 4-4\): agrees"
expect_out_match "... the verdict" "^replay SPOT-CHECKED \(spot-checked 5 of 5 segments"
expect_exit "two segments drawn from a given seed" 0 "$REFEREE" replay --check "$T/a" --segments 2 --seed 2a --quiet
expect_out_match "... the seed is printed" "^spot-check seed: 000000000000002a"
expect_out_match "... with the detection probability" "probability at most \(1-f\)\^2: f=0.1: 0.810"
grep '^  segment' "$T/out" | sed 's/ ([0-9.]* s)$//' >"$T/draw1"
"$REFEREE" replay --check "$T/a" --segments 2 --seed 2a --quiet | grep '^  segment' | sed 's/ ([0-9.]* s)$//' >"$T/draw2"
expect_true "the same seed draws the same segments" cmp "$T/draw1" "$T/draw2"
if [ "$(wc -l <"$T/draw1")" = 2 ]; then ok "... two of them"; else not_ok "two segments" "$(cat "$T/draw1")"; fi
expect_exit "without --seed the OS draws" 0 "$REFEREE" replay --check "$T/a" --segments 1 --quiet
expect_out_match "... and the seed is printed" "^spot-check seed: [0-9a-f]{16} \(repeat with --seed"
expect_exit "a full --check of a checkpointed run" 0 "$REFEREE" replay --check "$T/a" --quiet
expect_exit "--seed that is not hex" 2 "$REFEREE" replay --check "$T/a" --seed xyz
expect_exit "--segment-steps not a multiple of the checkpoints" 2 "$REFEREE" replay --check "$T/a2" --segments 1 --segment-steps 3
expect_exit "longer segments (2 steps)" 0 "$REFEREE" replay --check "$T/a" --segments all --segment-steps 2 --quiet
expect_out_match "... steps 3-4 in one" "^  segment 2 \(steps 3-4\): agrees"

spot_fails() { # NAME DIR REGEX: the spot-check of every segment exits 1 and says REGEX
  expect_exit "$1: caught" 1 "$REFEREE" replay --check "$2" --segments all --quiet
  expect_out_match "$1: says where" "$3"
}

# an edited log row: the chain catches it; resealed, the segment's re-run does
cp -r "$T/a" "$T/f1"
sed -i -E '/"type":"grpo","step":3,/ s/"reward_mean":[0-9.e-]+/"reward_mean":0.9/' "$T/f1/log.jsonl"
spot_fails "an edited segment log" "$T/f1" "^chain: log.jsonl: its first [0-9]+ bytes hash to"
$RESEAL "$T/f1"
spot_fails "an edited segment log, digests redone" "$T/f1" "segment 3 \(steps 3-3\): DIFFERS; parts at log.jsonl:[0-9]+: row grpo step 3: reward_mean is 0.9"

# a checkpoint from another seed
sed 's/^seed: 7$/seed: 8/' "$R" >"$T/seed8.yaml"
"$REFEREE" replay "$T/seed8.yaml" --out "$T/b" --checkpoint-every 1 --quiet
cp -r "$T/a" "$T/f2"
cp "$T"/b/checkpoints/step-000002/* "$T/f2/checkpoints/step-000002/"
$RESEAL "$T/f2"
spot_fails "a checkpoint from another seed" "$T/f2" "segment 2 \(steps 2-2\): DIFFERS: the re-run ends with model.safetensors"

# a zeroed optimizer state
cp -r "$T/a" "$T/f3"
$SYSPY - "$T/f3/checkpoints/step-000002/optimizer.safetensors" <<'EOF'
import struct, sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
n = struct.unpack("<Q", b[:8])[0]
b[8 + n:] = bytes(len(b) - 8 - n)
open(p, "wb").write(b)
EOF
$RESEAL "$T/f3"
spot_fails "a zeroed optimizer state" "$T/f3" "segment 2 \(steps 2-2\): DIFFERS: the re-run ends with optimizer.safetensors"
expect_out_match "... and the segment after it parts" "segment 3 \(steps 3-3\): DIFFERS; parts at log.jsonl"

# a run stitched from two: seed 7 up to step 2, seed 8 after
cp -r "$T/a" "$T/f4"
off=$($SYSPY -c "import json;print([c['log_bytes'] for c in json.load(open('$T/a/checkpoints/index.json'))['checkpoints'] if c['step']==2][0])")
off8=$($SYSPY -c "import json;print([c['log_bytes'] for c in json.load(open('$T/b/checkpoints/index.json'))['checkpoints'] if c['step']==2][0])")
{ head -c "$off" "$T/a/log.jsonl"; tail -c +"$((off8 + 1))" "$T/b/log.jsonl"; } >"$T/f4/log.jsonl"
cp "$T"/b/checkpoints/step-000003/* "$T/f4/checkpoints/step-000003/"
cp "$T"/b/checkpoints/step-000004/* "$T/f4/checkpoints/step-000004/"
$RESEAL "$T/f4"
spot_fails "a run stitched from two runs" "$T/f4" "segment 3 \(steps 3-3\): DIFFERS; parts at log.jsonl"

# the later half trained with another learning rate than the recipe says
cp -r "$T/a" "$T/lr"
sed -i 's/^  learning-rate: 0.003$/  learning-rate: 0.03/' "$T/lr/recipe.yaml"
$RESEAL "$T/lr" --recipe-digest "$("$REFEREE" digest "$T/lr/recipe.yaml" | cut -d' ' -f1)"
"$REFEREE" replay --resume "$T/lr" --from 2 --out "$T/f5" --quiet
cp "$T/a/recipe.yaml" "$T/f5/recipe.yaml"
$RESEAL "$T/f5" --recipe-digest "$("$REFEREE" digest "$T/a/recipe.yaml" | cut -d' ' -f1)"
if cmp -s "$T/a/log.jsonl" "$T/f5/log.jsonl"; then not_ok "the other learning rate changes the run"; else ok "the other learning rate changes the run"; fi
spot_fails "a later half trained with another learning rate" "$T/f5" "segment 3 \(steps 3-3\): DIFFERS; parts at log.jsonl"
expect_out_match "... the first half agrees" "segment 2 \(steps 2-2\): agrees"

# a dropped checkpoint and a reordered index
cp -r "$T/a" "$T/f6"
$RESEAL "$T/f6" --drop-step 2
spot_fails "a dropped checkpoint" "$T/f6" "^chain: checkpoints/index.json: checkpoint 2 is at step 3, expected step 2"
cp -r "$T/a" "$T/f7"
$RESEAL "$T/f7" --swap 1 2
spot_fails "a reordered index" "$T/f7" "^chain: checkpoints/index.json: checkpoint 1 is at step 2, expected step 1"

# a checkpoint file changed but the index not: named without any re-run
cp -r "$T/a" "$T/f8"
printf 'x' | dd of="$T/f8/checkpoints/step-000003/model.safetensors" bs=1 seek=300 conv=notrunc 2>/dev/null
spot_fails "a checkpoint file that does not match the index" "$T/f8" "^chain: .*step-000003/model.safetensors' hashes to"

# ---- --out of --check: never the replay, what holds it, what it holds ----
mkdir -p "$T/holder"
cp -r "$T/a" "$T/holder/run"
echo "reviewer's notes" >"$T/holder/notes.txt"
expect_exit "--out that holds the replay, --force" 2 "$REFEREE" replay --check "$T/holder/run" --out "$T/holder" --force --quiet
expect_err_match "... is refused" "is the replay being checked, holds it or lies inside it"
if [ -s "$T/holder/notes.txt" ] && [ -s "$T/holder/run/log.jsonl" ]; then ok "... and nothing was replaced"
else not_ok "... and nothing was replaced"; fi
expect_exit "--out inside the replay" 2 "$REFEREE" replay --check "$T/holder/run" --out "$T/holder/run/keep" --quiet
expect_exit "--out through a symlink to the replay's parent" 2 sh -c "ln -s '$T/holder' '$T/ln' && '$REFEREE' replay --check '$T/holder/run' --out '$T/ln' --force --quiet"
expect_exit "--out that is a sibling is fine" 0 "$REFEREE" replay --check "$T/holder/run" --out "$T/holder/keep" --quiet

# ---- --in SUBDIR inside a bag ----
mkdir -p "$T/src/runs"
cp -r "$T/a" "$T/src/runs/r1"
rm -rf "$T/src/runs/r1/checkpoints/step-000003"
(cd "$T/src" && "$REFEREE" pack "$T/bag" runs --allow-dirty >/dev/null 2>&1)
expect_exit "--check --in SUBDIR of a bag, spot-check" 1 "$REFEREE" replay --check "$T/bag" --in runs/r1 --segments all --quiet
expect_out_match "... a segment whose start checkpoint was not shipped is not checked" "segment 4 \(steps 4-4\): NOT SHIPPED"
expect_exit "... two shipped segments" 0 "$REFEREE" replay --check "$T/bag" --in runs/r1 --segments 2 --seed 5 --quiet
expect_exit "--in that leaves the bag (refused as unsafe, as check does)" 1 "$REFEREE" replay --check "$T/bag" --in ../x --quiet
expect_exit "--in on a directory that is not a bag" 2 "$REFEREE" replay --check "$T/a" --in x --quiet

# the shipped Countdown run (manifests/countdown-grpo/replay) holds
# together; seed 2 draws segment 7, whose start checkpoint is not shipped
A3=$REPO_DIR/manifests/countdown-grpo/replay
expect_exit "the shipped countdown run: a segment not shipped is not confirmed" 1 "$REFEREE" replay --check "$A3" --segments 1 --seed 2 --quiet
expect_out_match "... its index, log, summary and first checkpoint hold together" "^chain: the checkpoint index, every shipped checkpoint"
expect_out_match "... segment 7 is NOT SHIPPED" "segment 7 \(steps 301-350\): NOT SHIPPED"
expect_exit "its claims are derived from the shipped run" 0 "$REFEREE" check "$REPO_DIR/manifests/countdown-grpo"
expect_out_match "... the RL gain among them" "rl-gain +9.0% +9% +CONFIRMED"
mkdir -p "$T/cg" && cp -r "$REPO_DIR/manifests/countdown-grpo/replay" "$T/cg/"
sed 's/claimed: "9.0%"/claimed: "16%"/' "$REPO_DIR/manifests/countdown-grpo/claims.yaml" >"$T/cg/claims.yaml"
expect_exit "an overstated RL gain is not confirmed" 1 "$REFEREE" check "$T/cg"
expect_out_match "... INCONSISTENT" "rl-gain +16% +9% +INCONSISTENT"

# ---- a claim that holds only once spot-checked ----
mkdir -p "$T/cl"
cp -r "$T/a" "$T/cl/replay"
acc=$(sed -n 's/.*"accuracy_final": \([0-9.]*\).*/\1/p' "$T/a/summary.json")
cat >"$T/cl/claims.yaml" <<YAML
kind: claims
schema: 1
name: spot
claims:
  - id: final
    sentence: "held-out accuracy at the end"
    claimed: "$acc"
    from: {source: replay, metric: accuracy-final, spot-check: 5}
YAML
expect_exit "check: a claim spot-checked over every segment" 0 "$REFEREE" check "$T/cl" --explain
expect_out_match "... the report says it was spot-checked, S of T" "replay: spot-checked 5 of 5 segments \(seed [0-9a-f]{16}"
rm -rf "$T/cl/replay" && cp -r "$T/f1" "$T/cl/replay"
expect_exit "check: the same claim on a forged run" 1 "$REFEREE" check "$T/cl" --explain
expect_out_match "... is inconsistent, naming the segment" "segment 3 differs"

# ---- hostile JSON Lines: a line past the limit, a NUL byte ----
cp -r "$T/plain" "$T/long"
$SYSPY - "$T/long/log.jsonl" <<'PY'
import sys
p = sys.argv[1]; rows = open(p).read().split("\n")
rows[3] = rows[3].replace('"loss":', '"loss":0.' + "0" * 70000 + "1,\"x\":", 1)
open(p, "w").write("\n".join(rows))
PY
expect_exit "a log row longer than 64 KiB" 2 "$REFEREE" replay --check "$T/long" --quiet
expect_err_match "... is named with its line" "log.jsonl':4: line longer than 65536 bytes"
cp -r "$T/plain" "$T/nul"
$SYSPY - "$T/nul/log.jsonl" <<'PY'
import sys
p = sys.argv[1]; rows = open(p, "rb").read().split(b"\n")
rows[2] = rows[2] + b"\0" + rows[2]
open(p, "wb").write(b"\n".join(rows))
PY
expect_exit "a NUL byte in a log row" 2 "$REFEREE" replay --check "$T/nul" --quiet
expect_err_match "... is malformed" "log.jsonl':3: a NUL byte in the line"
# memory flat in the log's size: a 44 MB log (200,000 rows) is compared
# within 200 MB of address space (it took 370 MB when every row was kept)
case "$REFEREE" in
  *build-san*) skip "a 44 MB log within 200 MB of memory" "address space limits do not mix with sanitizers" ;;
  *)
    cp -r "$T/plain" "$T/big"
    $SYSPY - "$T/big/log.jsonl" <<'PY'
import sys
p = sys.argv[1]; rows = open(p).read().splitlines()
g = [r for r in rows if '"grpo"' in r][0]
with open(p, "a") as f:
    for i in range(200000): f.write(g + "\n")
PY
    run sh -c "ulimit -v 200000; exec '$REFEREE' replay --check '$T/big' -j 2 --quiet"
    if [ "$rc" = 1 ] && grep -q "re-run's log ends before this row" "$T/out"; then ok "a 44 MB log within 200 MB of memory: compared to its end"
    else not_ok "a 44 MB log within 200 MB of memory" "exit $rc" "$(head -c 300 "$T/err")" "$(head -c 300 "$T/out")"; fi
    rm -rf "$T/big" ;;
esac
"$REFEREE" replay "$R" --out "$T/bt" --batches --quiet
printf '\0\n' >>"$T/bt/batches/step-000001-0.jsonl"
expect_exit "a NUL byte in a GRPO batch" 2 "$REFEREE" grpo audit "$T/bt/batches/step-000001-0.jsonl"
expect_err_match "... is malformed" "a NUL byte in the line"
done_testing
