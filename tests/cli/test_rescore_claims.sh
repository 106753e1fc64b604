#!/usr/bin/env bash
# referee check with the rescore derivation source: the qwen-math-cot example
# is confirmed; an inflated claim, tampered outputs, missing or escaping
# rollouts and bad parameters are caught.
. "$(dirname "$0")/lib.sh"
EX="$REPO_DIR/manifests/qwen-math-cot"

expect_exit "qwen-math-cot claims hold" 0 "$REFEREE" check "$EX"
expect_out_match "pass@1 confirmed" "pass-at-1 +92\.2% +92\.1875% +CONFIRMED"
expect_out_match "maj@8 confirmed" "maj-at-8 +95\.0% +95% +CONFIRMED"
expect_out_match "three confirmed" "3 claims: 3 confirmed"
expect_exit "--explain" 0 "$REFEREE" check "$EX" --explain
expect_out_match "explain shows the re-score" "590 correct"

cp -r "$EX" "$T/inflated"
sed -i 's/claimed: 92.2%/claimed: 92.3%/' "$T/inflated/claims.yaml"
expect_exit "an inflated pass@1 fails the check" 1 "$REFEREE" check "$T/inflated"
expect_out_match "inflated claim inconsistent" "pass-at-1 +92\.3% +92\.1875% +INCONSISTENT"

# tamper with the outputs: one right answer of problem 1 made wrong
cp -r "$EX" "$T/tampered"
python3 - "$T/tampered/rollouts.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows[0]["code"][0] = rows[0]["code"][0].replace("\\boxed{\\frac{1}{9}}", "\\boxed{\\frac{1}{8}}")
with open(sys.argv[1], "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
PY
expect_exit "tampered outputs fail the check" 1 "$REFEREE" check "$T/tampered"
expect_out_match "589/640 is not 92.2%" "pass-at-1 +92\.2% +.*92\.031.* +INCONSISTENT"

cp -r "$EX" "$T/missing"
rm "$T/missing/rollouts.jsonl"
expect_exit "missing rollouts: unverifiable, not a failure" 0 "$REFEREE" check "$T/missing"
expect_out_match "unverifiable" "pass-at-1 .*UNVERIFIABLE"

mkdir -p "$T/escape"
cat >"$T/escape/claims.yaml" <<'Y'
kind: claims
schema: 1
claims:
  - id: esc
    claimed: 50%
    from: {source: rescore, rollouts: ../outside.jsonl, metric: pass@1}
Y
expect_exit "rollouts outside the directory are refused" 2 "$REFEREE" check "$T/escape"
expect_err_match "names the field" "claims.yaml:6:.*from.rollouts"

cp -r "$EX" "$T/badmetric"
sed -i 's/metric: maj@8/metric: best-of-vibes/' "$T/badmetric/claims.yaml"
expect_exit "unknown metric" 2 "$REFEREE" check "$T/badmetric"
expect_err_match "metric error has line:column" "claims.yaml:[0-9]+:[0-9]+: .*from.metric"

cp -r "$EX" "$T/badkey"
sed -i 's/reward: math, metric: maj@8/reward: math, metrc: maj@8/' "$T/badkey/claims.yaml"
expect_exit "a typo in a parameter" 2 "$REFEREE" check "$T/badkey"
# in a bundle: check verifies the bag, then re-scores its rollouts
(cd "$EX" && "$REFEREE" pack "$T/bag" claims.yaml rollouts.jsonl >/dev/null 2>&1)
expect_exit "claims re-derived inside a bag" 0 "$REFEREE" check "$T/bag"
expect_out_match "bag: pass@1 confirmed" "pass-at-1 +92\.2% +92\.1875% +CONFIRMED"
sed -i '1s/boxed{\\\\frac{1}{9}}/boxed{\\\\frac{1}{8}}/' "$T/bag/data/rollouts.jsonl"
expect_exit "tampered rollouts in a bag fail" 1 "$REFEREE" check "$T/bag"
expect_err_match "the bag does not verify" "rollouts.jsonl.*does not match"

# the reward comes from the training config in the same directory
mkdir -p "$T/cfg"
cp "$EX/rollouts.jsonl" "$T/cfg/"
cat >"$T/cfg/config.yaml" <<'Y'
kind: training-config
schema: 1
model: {total-params: 7B}
rewards:
  - {name: math, weight: 0.9}
  - {name: format, weight: 0.1}
Y
cat >"$T/cfg/claims.yaml" <<'Y'
kind: claims
schema: 1
claims:
  - id: mean-reward
    claimed: "0.83"
    from: {source: rescore, rollouts: rollouts.jsonl, config: config, metric: mean-reward}
  - id: pass-ci
    claimed: 90%
    notes: within the 95% bootstrap interval of pass@1
    from: {source: rescore, rollouts: rollouts.jsonl, metric: pass@1, use: ci95}
Y
expect_exit "reward from the training config" 0 "$REFEREE" check "$T/cfg"
expect_out_match "weighted mean reward confirmed" "mean-reward +0\.83 +.*0\.8296.* +CONFIRMED"
expect_out_match "claim inside the bootstrap interval" "pass-ci +90% .*CONFIRMED"
done_testing
