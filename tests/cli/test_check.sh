#!/usr/bin/env bash
# referee check: the worked examples' verdicts, exit codes, --explain,
# --json, --junit, a ledger whose total is off, an impossible claim, and
# malformed manifests.
. "$(dirname "$0")/lib.sh"
D="$TESTS_DIR/data/claims"
M="$REPO_DIR/manifests"

expect_exit "R1: exit 1 (an inconsistent pair)" 1 "$REFEREE" check "$M/deepseek-r1"
for id in ledger.r1-zero.gpu-hours ledger.r1-zero.cost ledger.sft-data.cost ledger.r1.gpu-hours \
          ledger.r1.cost ledger.total.gpu-hours ledger.total.cost sft-gpu-hours; do
  expect_out_match "R1: $id CONFIRMED" "^$id +.* CONFIRMED$"
done
expect_out_match "R1: 'about 4 days' vs 'roughly 80 hours' INCONSISTENT" \
  "^r1-days-vs-hours +about 4 days +.* INCONSISTENT$"
expect_out_match "R1: summary line" "^16 claims: 13 confirmed, 2 inconsistent"
expect_err_match "R1: stderr says why it failed" "^referee check: 2 claim\(s\) INCONSISTENT"
if grep -E "(IMPOSSIBLE|SUSPICIOUS)$" "$T/out" >/dev/null; then
  not_ok "R1: nothing impossible or suspicious"; else ok "R1: nothing impossible or suspicious"; fi

# Hedges are their written rounding (DESIGN.md): "~198 h" is [197.5, 198.5) h,
# so figures a few percent off the evidence are caught, not absorbed.
tamper_r1() { # name sed-expression claim-id
  rm -rf "$T/r1t" && cp -r "$M/deepseek-r1" "$T/r1t"
  sed -i "$2" "$T/r1t/ledger.yaml"
  expect_exit "$1: exit 1" 1 "$REFEREE" check "$T/r1t"
  expect_out_match "$1: $3 INCONSISTENT" "^$3 +.* INCONSISTENT$"
}
tamper_r1 "R1-Zero's cost changed to \$211K" 's/cost: \$202K /cost: $211K /' ledger.r1-zero.cost
expect_out_match "\$211K: the derivation is 512 × ~198 h × \$2" \
  "^ledger.r1-zero.cost +\\\$211K +\\[202.24K, 203.264K[])] USD +INCONSISTENT$"
tamper_r1 "the total cost changed to \$300K" 's/cost: \$294K /cost: $300K /' ledger.total.cost.from-evidence
tamper_r1 "R1-Zero's GPU-hours changed to 105K" 's/gpu-hours: 101K GPU-hours/gpu-hours: 105K GPU-hours/' \
  ledger.r1-zero.gpu-hours
tamper_r1 "R1's hours changed to roughly 83 hours" 's/hours: roughly 80 hours/hours: roughly 83 hours/' \
  ledger.r1.gpu-hours

expect_exit "V3: exit 0" 0 "$REFEREE" check "$M/deepseek-v3"
expect_out_match "V3: pre-training utilisation plausible" \
  "^v3-pretraining-plausible +2,664K GPU-hours +\[3[0-9]\.[0-9]+, 3[0-9]\.[0-9]+\]% MFU +CONFIRMED$"
expect_out_match "V3: all 9 confirmed" "^9 claims: 9 confirmed"

expect_exit "--explain shows the derivation" 1 "$REFEREE" check --explain "$M/deepseek-r1"
expect_out_match "--explain: GPUs × hours (DESIGN.md: [101,120; 101,632))" "r1-zero: GPU-hours = 512 GPUs × hours = \[101.12K, 101.632K\) GPU-hours"
run "$REFEREE" check --explain "$M/deepseek-v3"
expect_out_match "--explain: implied throughput per GPU (V3: 337-349 TFLOP/s)" "implied throughput = FLOPs / accelerator time = \[336.758, 348.461\] TFLOP/s per GPU"
expect_out_match "--explain: 6·N·D" "FLOPs = 6·N·D = \[3.23025e\+24, 3.34125e\+24\] FLOP"
run "$REFEREE" check --explain "$M/deepseek-r1"
expect_out_match "--explain: the sentence" "sentence: \"the process required approximately 198 hours\""

expect_exit "--json exits like the table" 1 "$REFEREE" check --json "$M/deepseek-r1"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r={x["claim"]: x["verdict"] for x in d["rows"]}; assert r["r1-days-vs-hours"]=="INCONSISTENT" and r["ledger.total.cost"]=="CONFIRMED" and d["counts"]["fail"]==2' "$T/out" 2>"$T/py"; then
  ok "--json is valid JSON with the verdicts"; else not_ok "--json is valid JSON with the verdicts" "$(cat "$T/py")"; fi

expect_exit "--junit writes a report" 1 "$REFEREE" check -q --junit "$T/junit.xml" "$M/deepseek-r1"
if python3 -c 'import sys, xml.etree.ElementTree as E; s=E.parse(sys.argv[1]).getroot().find("testsuite"); assert s.get("failures")=="2" and s.get("tests")=="16" and s.get("skipped")=="1"' "$T/junit.xml" 2>"$T/py"; then
  ok "--junit is well-formed XML with 2 failures"; else not_ok "--junit is well-formed XML with 2 failures" "$(cat "$T/py")"; fi
if [ -s "$T/out" ]; then not_ok "-q prints no table"; else ok "-q prints no table"; fi
expect_exit "--html writes a page" 0 "$REFEREE" check -q --html "$T/v3.html" "$M/deepseek-v3"
expect_true "--html page holds the table" grep -q "<tr class=\"pass\"><td>v3-gpus</td>" "$T/v3.html"
run "$REFEREE" check --approx 4 "$M/deepseek-r1"
expect_out_match "--approx 4: 'roughly 80 hours' widened to [76.8, 83.2] h still misses [84, 108) h" \
  "^r1-days-vs-hours .* INCONSISTENT$"
run "$REFEREE" check --approx 5 "$M/deepseek-r1"
expect_out_match "--approx 5: [76, 84] h meets [84, 108) h (manifests/README.md)" "^r1-days-vs-hours .* CONFIRMED$"
expect_exit "--approx 10: only 'about 4 days' vs the table stays inconsistent" 1 "$REFEREE" check --approx 10 "$M/deepseek-r1"
expect_out_match "--approx 10: the pair is consistent" "^r1-days-vs-hours .* CONFIRMED$"
expect_out_match "--approx 10: 4 days still misses 41K / 512 GPUs" "^r1-days .* INCONSISTENT$"

expect_exit "a ledger whose total is off fails" 1 "$REFEREE" check "$D/off-total"
expect_out_match "the total row is INCONSISTENT" "^ledger.total.gpu-hours +150K GPU-hours +\[145.5K, 148.5K\) GPU-hours +INCONSISTENT$"

expect_exit "an impossible FLOPs claim fails" 1 "$REFEREE" check "$D/impossible"
expect_out_match "100K GPU-hours is IMPOSSIBLE" "^too-fast .* IMPOSSIBLE$"
expect_out_match "1,400K GPU-hours is SUSPICIOUS" "^fast .* SUSPICIOUS$"
expect_err_match "stderr counts the impossible claim" "0 claim\\(s\\) INCONSISTENT, 1 IMPOSSIBLE"
expect_exit "--suspicious-mfu raises the threshold" 1 "$REFEREE" check --suspicious-mfu 70 "$D/impossible"
expect_out_match "1,400K is plausible under 70%" "^fast .* CONFIRMED$"

expect_exit "a malformed claims file is exit 2" 2 "$REFEREE" check "$D/malformed"
expect_err_match "names file:line:column and the field" "^referee check: .*malformed/claims.yaml:8:14: claims\[1\]\.claimed: .*unknown unit 'K-hours'$"
# A source's field errors name the field once (rf_node_error does not repeat
# a path the message already starts with).
mkdir -p "$T/dotdot"
printf 'kind: claims\nschema: 1\nclaims:\n  - id: a\n    claimed: 50%%\n    from: {source: rescore, rollouts: ../x.jsonl, reward: math, metric: pass@1}\n' \
  >"$T/dotdot/claims.yaml"
expect_exit "a rollouts path leaving the checked folder with '..' is refused" 2 "$REFEREE" check "$T/dotdot"
expect_err_match "the message names from.rollouts once" \
  "^referee check: claim 'a' \\(.*dotdot/claims.yaml:4:5\\): .*dotdot/claims.yaml:6:39: from\\.rollouts: '\\.\\./x\\.jsonl' leaves the payload \\('.*dotdot'\\)$"
mkdir -p "$T/empty"
expect_exit "a directory without manifests is exit 2" 2 "$REFEREE" check "$T/empty"
expect_exit "a missing directory is exit 2" 2 "$REFEREE" check "$T/nope"
# On a bag: verify first, then check the manifests under data/.
mkdir -p "$T/ev" && cp -r "$M/deepseek-r1" "$M/deepseek-v3" "$T/ev/"
(cd "$T/ev" && "$REFEREE" pack -q "$T/bag" deepseek-r1 deepseek-v3 >/dev/null 2>&1 ||
               "$REFEREE" pack "$T/bag" deepseek-r1 deepseek-v3 >/dev/null 2>&1)
if [ -f "$T/bag/bagit.txt" ]; then
  expect_exit "a bag: both folders checked, exit 1 for R1's pair" 1 "$REFEREE" check "$T/bag"
  expect_err_match "the bag is verified first, and said to be unsigned" "bundle '.*bag': VERIFIED; UNSIGNED"
  expect_out_match "R1's table from the bag" "^r1-days-vs-hours .* INCONSISTENT$"
  expect_out_match "V3's table from the bag" "^v3-pretraining-plausible .* CONFIRMED$"
  expect_exit "--in picks one folder of the bag" 0 "$REFEREE" check --in deepseek-v3 "$T/bag"
  expect_exit "--json on a bag of several folders needs --in" 2 "$REFEREE" check --json "$T/bag"
  expect_exit "--in must stay inside the bag" 1 "$REFEREE" check --in ../.. "$T/bag"
  sed -i 's/2,664K GPU-hours   # Table 1/2,464K GPU-hours   # Table 1/' "$T/bag/data/deepseek-v3/ledger.yaml"
  expect_exit "a tampered bag is not checked" 1 "$REFEREE" check --in deepseek-v3 "$T/bag"
  expect_err_match "the tampered file is named" "mismatch: 'data/deepseek-v3/ledger.yaml'"
  expect_err_match "and the claims are not believed" "does not verify: not checking its claims"
else
  skip "a bag: both folders checked" "referee pack is not built in"
fi

# Issue 10: the three wrong verdicts, the new forms, and the worked examples.
expect_exit "a utilisation straddling 60% is not a failure" 0 "$REFEREE" check --explain "$D/straddle"
expect_out_match "[47%, 92%] of peak is SUSPICIOUS, not CONFIRMED" "^straddles +110K GPU-hours +\[47.0588, 91.6174\]% MFU +SUSPICIOUS$"
expect_out_match "the reason names the numbers" "why: may reach 91.6% of peak \(47.1% at the least\), above the 60% threshold; the figures as written are too coarse to rule it out"
expect_out_match "[26%, 50%] is CONFIRMED with its numbers" "why: 25.9% to 50.3% of peak: plausible \(at most the 60% threshold\)"
expect_exit "an average power above the TDP is IMPOSSIBLE" 1 "$REFEREE" check --explain "$D/power"
expect_out_match "450 W on a 400 W A100" "^ledger.hot.power +450 W +400 W +IMPOSSIBLE$"
expect_out_match "the power reason" "why: an average of at least 449.5 W per accelerator is above its 400 W TDP"
expect_exit "two sources that disagree fail" 1 "$REFEREE" check --explain "$D/conflict"
expect_out_match "648 against 512, both sources named" \
  "why: claimed 648 H800 GPUs and derived 512 H800 GPUs cannot both hold \(stated at .*conflict/news.yaml:6:5 and at .*conflict/hardware.yaml:6:12\)"
expect_exit "a figure referee cannot read is exit 2" 2 "$REFEREE" check "$D/forms-bad"
expect_err_match "file:line:col and the part not understood" \
  "^referee check: .*forms-bad/claims.yaml:7:14: claims\[0\]\.claimed: \"38–43% xyz\": could not read 'xyz' after '%'$"
expect_exit "lint --kinds" 0 "$REFEREE" lint --kinds
for form in 'under \$450' 'up to 16K H100 GPUs' '15T\+ tokens' '38–43% MFU' 'between 30% and 40%' 'just 26 minutes' \
            'US\$ 294,000' '1.5 × 10\^24 FLOPs' '5 months' '16 H100s' '433,196 kWh' 't CO2eq' '57 gCO2eq/kWh' '35 ± 5 %'; do
  expect_out_match "lint --kinds lists $form" "$form"
done
for ex in bloom llama-2 llama-3 s1; do
  expect_exit "$ex: exit 0" 0 "$REFEREE" check "$M/$ex"
done
run "$REFEREE" check "$M/bloom"
expect_out_match "BLOOM: 433,196 kWh from 1,082,990 GPU-h × 400 W" "^ledger.final-training.energy +433,196 kWh +\[433.1958K, 433.1962K\) kWh +CONFIRMED$"
expect_out_match "BLOOM: 'approximately 24.7 tonnes' = × 57 gCO2eq/kWh" "^bloom-emissions-abstract +approximately 24.7 t CO2eq .* CONFIRMED$"
expect_out_match "BLOOM: 4 confirmed" "^4 claims: 4 confirmed, 0 inconsistent"
run "$REFEREE" check "$M/llama-2"
expect_out_match "Llama 2: Table 2's emissions add up to 539.00" "^ledger.total.emissions +539.00 tCO2eq .* CONFIRMED$"
expect_out_match "Llama 2: no carbon intensity, emissions UNVERIFIABLE" "^ledger.llama-2-70b.emissions +291.42 tCO2eq +- +UNVERIFIABLE$"
expect_out_match "Llama 2: 9 rows" "^9 claims: 4 confirmed, 0 inconsistent, 0 suspicious, 0 impossible, 5 unverifiable"
run "$REFEREE" check "$M/llama-3"
expect_out_match "Llama 3: 16,384 GPUs are 'up to 16K'" "^llama-3-up-to-16k-gpus +up to 16K H100 GPUs +16.384K H100 GPUs +CONFIRMED$"
expect_out_match "Llama 3: 3.8 × 10^25 FLOPs" "^llama-3-flops +3.8 × 10\^25 FLOPs .* CONFIRMED$"
expect_out_match "Llama 3: the whole run at or below 38–43% steady-state MFU" "^llama-3-steady-state-mfu +38–43% MFU +\[34.3477, 34.7003\]% +CONFIRMED$"
run "$REFEREE" check "$M/s1"
expect_out_match "s1: 5 × ceil(1000/16) = 315 steps" "^s1-steps +315 gradient steps +315 gradient steps +CONFIRMED$"
expect_out_match "s1: 'just 26 minutes'" "^s1-training-time +just 26 minutes .* CONFIRMED$"
# tampered: the step count and the emissions changed
# a lower bound's open side is null in --json (JSON has no infinity)
mkdir -p "$T/bound" && printf 'kind: claims\nschema: 1\nclaims:\n  - {id: b, claimed: at least 15T tokens, from: {source: claim, claim: c}}\n  - {id: c, claimed: 15.6T tokens, from: {source: claim, claim: b}}\n' >"$T/bound/claims.yaml"
expect_exit "--json with a bound" 0 "$REFEREE" check --json "$T/bound"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r={x["claim"]: x for x in d["rows"]}; i=r["b"]["claimed_interval"]; assert i["hi"] is None and i["lo"]==14.5e12, i; assert r["c"]["verdict"]=="CONFIRMED"' "$T/out" 2>"$T/py"; then
  ok "--json: [14.5T, null] for 'at least 15T tokens'"; else not_ok "--json: [14.5T, null] for 'at least 15T tokens'" "$(cat "$T/py")"; fi
mkdir -p "$T/s1t" && cp "$M"/s1/*.yaml "$T/s1t/" && sed -i 's/claimed: 315 gradient steps/claimed: 320 gradient steps/' "$T/s1t/claims.yaml"
expect_exit "s1 with 320 steps fails" 1 "$REFEREE" check "$T/s1t"
mkdir -p "$T/bt" && cp "$M"/bloom/*.yaml "$T/bt/" && sed -i 's/emissions: 24.69 tCO2eq /emissions: 25.69 tCO2eq /' "$T/bt/ledger.yaml"
expect_exit "BLOOM with 25.69 t fails" 1 "$REFEREE" check "$T/bt"
expect_out_match "the changed emissions are INCONSISTENT" "^ledger.final-training.emissions +25.69 tCO2eq .* INCONSISTENT$"
mkdir -p "$T/l3t" && cp "$M"/llama-3/*.yaml "$T/l3t/" && sed -i 's/claimed: 38–43% MFU/claimed: 30–33% MFU/' "$T/l3t/claims.yaml"
expect_exit "Llama 3 with a 30–33% steady state: suspicious, not failed" 0 "$REFEREE" check "$T/l3t"
expect_out_match "the whole run exceeds a 30–33% steady state" "^llama-3-steady-state-mfu .* SUSPICIOUS$"

expect_exit "no argument is a usage error" 2 "$REFEREE" check
expect_exit "a bad threshold is a usage error" 2 "$REFEREE" check --suspicious-mfu x "$M/deepseek-v3"
# A bag with several folders: a folder that has manifests but no claims (a
# bare replay recipe) is linted but gets no empty table; asked for by --in,
# it does.
mkdir -p "$T/multi/v3" "$T/multi/recipe"
cp "$M"/deepseek-v3/*.yaml "$T/multi/v3/"
cp "$M/tiny-grpo/test.yaml" "$T/multi/recipe/"
"$REFEREE" pack -q "$T/multibag" "$T/multi/v3" "$T/multi/recipe" 2>/dev/null
expect_exit "a bag with a claims folder and a recipe folder checks" 0 "$REFEREE" check "$T/multibag"
expect_out_match "the claims folder gets its table" "data/v3"
if grep -q "data/recipe" "$T/out"; then not_ok "no empty table for a folder without claims" "$(cat "$T/out")"
else ok "no empty table for a folder without claims"; fi
expect_exit "--in the recipe folder still reports it" 0 "$REFEREE" check "$T/multibag" --in recipe
expect_out_match "--in prints the folder's (empty) table" "0 claims"
done_testing
