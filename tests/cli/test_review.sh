#!/usr/bin/env bash
# referee review: every stage on a real bundle (claims, a replay, GRPO
# batches, a framework config), one exit code, and every report file also
# when the bag is tampered with (exit 1) or holds a malformed manifest (2).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# The evidence of a small "paper": V3's ledger, re-scored model outputs, a
# replay with its logged GRPO batches, and the training framework's own config.
mkdir -p src/paper src/outputs
cp -r "$REPO_DIR/manifests/deepseek-v3" src/paper/v3
cp "$REPO_DIR/manifests/qwen-math-cot/claims.yaml" src/paper/v3/rescore-claims.yaml
sed -i 's|rollouts: rollouts.jsonl|rollouts: ../../outputs/rollouts.jsonl|' src/paper/v3/rescore-claims.yaml
cp "$REPO_DIR/manifests/qwen-math-cot/rollouts.jsonl" src/outputs/
cp "$TESTS_DIR/data/framework/open-r1-grpo-config_demo.yaml" src/paper/v3/grpo.yaml
"$REFEREE" replay "$REPO_DIR/manifests/tiny-grpo/test.yaml" --out src/outputs/replay --batches --quiet >/dev/null 2>&1
rm -f src/outputs/replay/batches/step-00000[2-9]-*.jsonl   # a few batches are enough
(cd src && "$REFEREE" pack -q --allow-dirty "$T/bag" paper outputs >/dev/null 2>&1)
[ -f bag/bagit.txt ] || { not_ok "pack the review bundle"; done_testing; }

reports() { echo --html "$1.html" --json "$1.json" --junit "$1.junit.xml" --markdown "$1.md"; }
jq_() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# --- a clean bundle: exit 0, every stage ran
expect_exit "a clean bag reviews with exit 0" 0 "$REFEREE" review --no-hw bag $(reports clean)
expect_out_match "the table names every stage" "^integrity +PASS"
expect_out_match "claims hold" "^claims +PASS"
expect_out_match "the replay is re-run and confirmed" "^replays +PASS +1 confirmed"
expect_out_match "the GRPO batches are audited" "^audits +PASS +[0-9]+ batch"
expect_out_match "the framework config is listed, not failed" "not a manifest: 'data/paper/v3/grpo.yaml'"
for f in clean.html clean.json clean.junit.xml clean.md; do
  expect_true "report $f written" test -s "$f"
done
expect_true "JSON: verdict, exit, version, bag, claims, rescore, replays, audits" \
  jq_ clean.json 'd["verdict"]=="PASS" and d["exit"]==0 and d["referee_version"] and d["bag"]["valid"] and len(d["claims"])>0 and len(d["rescore"])==3 and d["replays"][0]["status"]=="pass" and len(d["audits"])>0 and d["error"] is None or sys.exit(1)'
expect_true "JSON: the rescore metrics carry their 95% interval" \
  jq_ clean.json 'all(m["ci95"][0] <= m["value"] <= m["ci95"][1] for m in d["rescore"]) or sys.exit(1)'
expect_true "JSON: the replay's curves, author and re-run" \
  jq_ clean.json 'len(d["replays"][0]["author"]["accuracy"])>0 and d["replays"][0]["rerun"]["accuracy"]==d["replays"][0]["author"]["accuracy"] or sys.exit(1)'
expect_true "JUnit: valid XML, one case per check, no failure" python3 -c '
import sys, xml.etree.ElementTree as E
r = E.parse("clean.junit.xml").getroot()
cases = r.findall(".//testcase")
assert len(cases) > 10, len(cases)
assert not r.findall(".//failure") and not r.findall(".//error")'
expect_true "Markdown: a verdict heading and a table" grep -q "^## referee review: .* PASS" clean.md
expect_true "HTML: no external resource" sh -c '! grep -Eiq "(src|href)=\"(https?:)?//" clean.html'
expect_true "HTML: inline SVG curves" grep -q "<svg" clean.html

# --- replays: not run is never passed
expect_exit "review --replay skip: not run is never passed" 0 "$REFEREE" review --no-hw --replay skip bag
expect_out_match "--replay skip reports the replay NOT RUN" "^replays +NOT RUN"
expect_exit "review --budget spent: the replay is not run" 0 "$REFEREE" review --no-hw --budget 0.000001s bag --json budget.json
expect_true "--budget: the replay is 'not run', not passed" jq_ budget.json 'd["replays"][0]["status"]=="not run" or sys.exit(1)'
expect_exit "--budget must be a duration" 2 "$REFEREE" review --budget soon bag
expect_exit "unknown option is a usage error" 2 "$REFEREE" review --bogus bag
expect_err_match "unknown option is named" "unknown option '--bogus'"

# --- a tampered bag: exit 1, and every report still written
cp -r bag tampered
printf 'X' | dd of=tampered/data/outputs/rollouts.jsonl bs=1 seek=10 conv=notrunc 2>/dev/null
expect_exit "a tampered bag: exit 1" 1 "$REFEREE" review --no-hw tampered $(reports tampered)
expect_out_match "the integrity stage fails" "^integrity +FAIL"
expect_out_match "nothing in it is believed" "^claims +NOT RUN"
for f in tampered.html tampered.json tampered.junit.xml tampered.md; do
  expect_true "tampered: report $f written" test -s "$f"
done
expect_true "tampered: JSON verdict FAIL, exit 1, the problem named" \
  jq_ tampered.json 'd["verdict"]=="FAIL" and d["exit"]==1 and d["bag"]["valid"]==False and any("rollouts.jsonl" in p["path"] for p in d["bag"]["problems"]) or sys.exit(1)'
expect_true "tampered: JUnit has a failed case" grep -q "<failure" tampered.junit.xml

# --- a malformed manifest: exit 2, every report still written, with the error
mkdir -p badsrc/m && printf 'kind: claims\nschema: 1\nclaims:\n  - id: [oops\n' > badsrc/m/claims.yaml
(cd badsrc && "$REFEREE" pack -q --allow-dirty "$T/badbag" m >/dev/null 2>&1)
expect_exit "a malformed manifest: exit 2" 2 "$REFEREE" review --no-hw badbag $(reports bad)
for f in bad.html bad.json bad.junit.xml bad.md; do
  expect_true "malformed: report $f written" test -s "$f"
done
expect_true "malformed: JSON error names file:line" jq_ bad.json 'd["exit"]==2 and "claims.yaml:" in d["claims"][0]["error"] and d["error"] or sys.exit(1)'
expect_true "malformed: JUnit has an error case" grep -q "<error" bad.junit.xml

# --- a plain folder: no integrity or signature stage, and the report says so
expect_exit "a plain folder reviews" 0 "$REFEREE" review --no-hw --replay skip src --json plain.json
expect_out_match "plain folder: integrity skipped, said plainly" "^integrity +SKIPPED +a plain folder, not a bag: no integrity check ran"
expect_exit "a plain folder cannot meet --require-signature" 1 "$REFEREE" review --no-hw --replay skip --require-signature src
expect_exit "a missing path: exit 2, report written" 2 "$REFEREE" review --no-hw nowhere --json missing.json
expect_true "missing path: JSON error" jq_ missing.json '"nowhere" in d["error"] or sys.exit(1)'

# --- failing parts: an edited replay log, an edited GRPO batch
cp -r src edited
sed -i -E '/"type":"grpo","step":2,/ s/"reward_mean":[0-9.e-]+/"reward_mean":0.9/' edited/outputs/replay/log.jsonl
b=$(ls edited/outputs/replay/batches/*.jsonl | head -1)
sed -i -E '2 s/"advantage":[-0-9.e]+/"advantage":7.5/' "$b"
expect_exit "an edited replay log and batch: exit 1" 1 "$REFEREE" review --no-hw edited --json edited.json
expect_out_match "the replay differs" "^replays +FAIL"
expect_out_match "the audit fails" "^audits +FAIL"
expect_true "edited: the audit names the figure" jq_ edited.json 'any(a["status"]=="fail" and "advantage" in a["reason"] for a in d["audits"]) or sys.exit(1)'

# --- signatures
"$REFEREE" keygen author --no-passphrase >/dev/null 2>&1
"$REFEREE" keygen stranger --no-passphrase >/dev/null 2>&1
(cd src && "$REFEREE" pack -q --allow-dirty --sign "$T/author.key" "$T/signed" paper outputs >/dev/null 2>&1)
expect_exit "signed bag, --trust the author: exit 0" 0 "$REFEREE" review --no-hw --replay skip --trust author.pub signed --json signed.json
expect_out_match "signatures pass" "^signatures +PASS +1 of 1"
expect_true "JSON: the signer's key id, trusted" jq_ signed.json 'd["bag"]["signatures"]["signers"][0]["trusted"] and d["bag"]["signatures"]["signers"][0]["name"]=="author" or sys.exit(1)'
expect_exit "signed bag, --trust a stranger: exit 1" 1 "$REFEREE" review --no-hw --replay skip --trust stranger.pub signed
expect_out_match "signatures fail" "^signatures +FAIL"
# A payload file is hashed once, however many stages use it (the digest
# module opens files O_NONBLOCK to hash them; parsing opens them plainly).
if command -v strace >/dev/null 2>&1; then
  strace -f -e trace=openat -o trace.log "$REFEREE" review -q --no-hw --trust author.pub signed >/dev/null 2>&1
  n=$(grep -c 'signed/data/outputs/rollouts.jsonl".*O_NONBLOCK' trace.log)
  if [ "$n" -eq 1 ]; then ok "signed bag, --trust: each payload file is hashed once"
  else not_ok "signed bag, --trust: each payload file is hashed once" "rollouts.jsonl hashed $n times"; fi
else
  skip "each payload file is hashed once" "no strace"
fi
expect_exit "unsigned bag with --require-signature: exit 1" 1 "$REFEREE" review --no-hw --replay skip --require-signature bag

# --- hostile strings are escaped in every report
mkdir -p hostile/m && printf 'kind: claims\nschema: 1\nclaims:\n  - id: "<script>alert(1)</script>|x"\n    claimed: 1\n    from: {source: claim, claim: nope}\n' > hostile/m/claims.yaml
"$REFEREE" review --no-hw hostile $(reports hostile) >/dev/null 2>&1
expect_true "HTML: a claim id cannot inject markup" sh -c '! grep -q "<script>" hostile.html && grep -q "&lt;script&gt;" hostile.html'
expect_true "Markdown: a claim id cannot break the table" sh -c '! grep -q "</script>|x" hostile.md'

# --- a progress line per stage on a terminal
if command -v script >/dev/null 2>&1; then
  script -qfec "'$REFEREE' review --no-hw --replay skip bag" /dev/null > tty.log 2>&1 </dev/null
  expect_true "on a terminal: a progress line per stage" grep -q "review: claims" tty.log
  "$REFEREE" review --no-hw --replay skip bag > notty.log 2>&1
  expect_true "not on a terminal: no progress line" sh -c '! grep -q "review: claims" notty.log'
else
  skip "progress on a terminal" "no script(1)"
fi
done_testing
