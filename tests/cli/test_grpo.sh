#!/usr/bin/env bash
# referee grpo audit: a correct batch passes; tampered figures are caught and
# named; malformed batches are usage errors; PyTorch recomputes the same loss.
. "$(dirname "$0")/lib.sh"
B=$TESTS_DIR/data/grpo/batch.jsonl

expect_exit "a correct batch passes" 0 "$REFEREE" grpo audit "$B"
expect_out_match "it says how much it checked" "12 samples in 3 groups, 55 tokens; 19 logged figures checked, 0 do not follow"

tamper() { # NAME SED-EXPR REGEX: the edited batch fails, naming the figure
  sed -E "$2" "$B" >"$T/bad.jsonl"
  if cmp -s "$B" "$T/bad.jsonl"; then not_ok "$1" "the edit changed nothing"; return; fi
  expect_exit "$1 is caught" 1 "$REFEREE" grpo audit "$T/bad.jsonl"
  expect_out_match "$1 is named" "$3"
}
tamper "a logged loss" 's/"loss": 0\.03/"loss": 0.04/' 'BAD +line 14: stats.loss'
tamper "a logged KL" 's/"kl": 0\.0/"kl": 0.1/' 'BAD +line 14: stats.kl'
tamper "a logged clip fraction" 's/"clip_frac": 0\.1/"clip_frac": 0.2/' 'stats.clip_frac'
tamper "an advantage" '2s/"advantage": 1\.7/"advantage": 1.6/' 'BAD +line 2: advantage'
tamper "a reward" '3s/"reward": 0\.0/"reward": 1.1/' 'BAD +line 2: advantage'
tamper "an old log-prob" '2s/"old_logp": \[-0\.19/"old_logp": [-0.29/' 'stats.(loss|clip_frac|ratio_mean)'

printf '{"grpo_batch": 1}\n{"group": 0, "reward": 1, "logp": [0.1, "x"]}\n' >"$T/m.jsonl"
expect_exit "a malformed batch is a usage error" 2 "$REFEREE" grpo audit "$T/m.jsonl"
expect_err_match "with file and line" "m.jsonl':2: logp\[1\]"
printf '{"grpo_batch": 1}\n{"group": 0, "reward": 1, "logp": [-0.1]}\n' >"$T/n.jsonl"
expect_exit "a batch that logs nothing to check" 2 "$REFEREE" grpo audit "$T/n.jsonl"
expect_exit "missing file" 2 "$REFEREE" grpo audit "$T/none.jsonl"
expect_exit "bad usage" 2 "$REFEREE" grpo frobnicate "$B"
expect_exit "json output" 0 "$REFEREE" grpo audit --json "$B"
expect_out_match "json lists items" '"failures":0,"items":\[\{"what":"line 2: advantage'

# PyTorch recomputes the same advantages and loss from a fresh random batch
if "$SYSPY" -c "import torch" 2>/dev/null; then
  "$SYSPY" "$TESTS_DIR/py/grpo_torch.py" make-batch 17 >"$T/raw.jsonl"
  sed 's/"loss_norm": "sequence"/"loss_norm": "token"/' "$T/raw.jsonl" >"$T/raw2.jsonl"
  "$SYSPY" "$TESTS_DIR/py/grpo_torch.py" annotate "$T/raw.jsonl" "$T/torch.jsonl" \
    "$T/raw2.jsonl" "$T/torch2.jsonl" "$B" "$T/again.jsonl"
  expect_exit "PyTorch's advantages, loss, KL and clip fraction agree (1e-6)" 0 \
    "$REFEREE" grpo audit --tolerance 1e-6 "$T/torch.jsonl"
  expect_exit "... also with per-token normalisation" 0 \
    "$REFEREE" grpo audit --tolerance 1e-6 "$T/torch2.jsonl"
  expect_exit "the committed batch is PyTorch's" 0 \
    "$REFEREE" grpo audit --tolerance 1e-9 "$T/again.jsonl"
else
  skip "PyTorch cross-check" "no torch under $SYSPY"
  skip "PyTorch cross-check (token)" "no torch under $SYSPY"
  skip "committed batch" "no torch under $SYSPY"
fi
done_testing
