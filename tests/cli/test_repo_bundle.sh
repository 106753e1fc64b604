#!/usr/bin/env bash
# A real research repository in a bundle: its own framework config (YAML
# without a referee kind:) sits beside the manifests and is "not a
# manifest", and claims point at outputs elsewhere in the payload by
# relative path ('..' that stays inside is fine, one that leaves is refused).
. "$(dirname "$0")/lib.sh"

R="$T/repo"
mkdir -p "$R/configs" "$R/outputs/eval"
cp "$TESTS_DIR/data/framework/open-r1-grpo-config_demo.yaml" "$R/configs/grpo.yaml"
head -20 "$REPO_DIR/manifests/qwen-math-cot/rollouts.jsonl" > "$R/outputs/eval/rollouts.jsonl"
# A framework YAML that has a kind: of its own (not a referee kind).
printf 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: train\n' > "$R/configs/job.yaml"
cp "$R/configs/grpo.yaml" "$R/configs/grpo-copy.yaml"
"$REFEREE" rescore "$R/outputs/eval/rollouts.jsonl" --json > "$T/rs.json" 2>/dev/null
pass1=$(python3 -c 'import json,sys; print("%.4f%%" % (100*json.load(open(sys.argv[1]))["metrics"]["pass@1"]["value"]))' "$T/rs.json")
cat > "$R/configs/claims.yaml" <<EOC
kind: claims
schema: 1
claims:
  - id: pass-at-1
    claimed: "$pass1"
    from: {source: rescore, rollouts: ../outputs/eval/rollouts.jsonl, reward: math, metric: pass@1}
EOC

# A plain folder: its files must stay inside the folder checked.
mkdir -p "$T/plain"
cp "$R/configs/grpo.yaml" "$R/configs/job.yaml" "$R/outputs/eval/rollouts.jsonl" "$T/plain/"
sed 's|\.\./outputs/eval/||' "$R/configs/claims.yaml" > "$T/plain/claims.yaml"
expect_exit "check: a folder with framework YAML beside the manifests passes" 0 "$REFEREE" check "$T/plain"
expect_out_match "check: the framework config is listed as not a manifest" "not a manifest: '.*plain/grpo.yaml'"
expect_out_match "check: a kind: that is not referee's is not a manifest" "not a manifest: '.*plain/job.yaml'"
expect_exit "check DIR: '..' leaving the checked folder is refused" 2 "$REFEREE" check "$R/configs"
expect_err_match "check DIR: the refusal names the field and says why" "claims.yaml:6:39: from\\.rollouts: '\\.\\./outputs/eval/rollouts\\.jsonl' leaves the payload"

"$REFEREE" pack -q --allow-dirty "$T/bag" "$R/configs" "$R/outputs" >/dev/null 2>&1 ||
  (cd "$T" && "$REFEREE" pack -q --allow-dirty "$T/bag" repo >/dev/null 2>&1)
if [ -f "$T/bag/bagit.txt" ]; then
  expect_true "pack: the framework config is packed and hashed" grep -q "configs/grpo.yaml" "$T/bag/manifest-sha256.txt"
  expect_exit "check BAG: '..' inside the payload is fine, the framework config is no failure" 0 "$REFEREE" check "$T/bag"
  expect_out_match "check BAG: lists the framework config" "not a manifest: '.*grpo.yaml'"
  # A claim whose file leaves the payload: refused, naming the field.
  mkdir -p "$T/esc/m"
  printf 'kind: claims\nschema: 1\nclaims:\n  - id: a\n    claimed: 50%%\n    from: {source: rescore, rollouts: ../../../etc/passwd, reward: math, metric: pass@1}\n' > "$T/esc/m/claims.yaml"
  (cd "$T/esc" && "$REFEREE" pack -q --allow-dirty "$T/escbag" m >/dev/null 2>&1)
  expect_exit "check BAG: a path leaving the payload is refused" 2 "$REFEREE" check "$T/escbag"
  expect_err_match "check BAG: the refusal says it leaves the payload, with line:col" "claims.yaml:6:[0-9]+: from\\.rollouts: '\\.\\./\\.\\./\\.\\./etc/passwd' leaves the payload"
else
  skip "pack: a bag of the repository" "referee pack failed here"
fi
# A malformed referee manifest is still a manifest: exit 2, not skipped.
mkdir -p "$T/bad"
printf 'kind: claims\nschema: 1\nclaims: [\n' > "$T/bad/claims.yaml"
cp "$R/configs/grpo.yaml" "$T/bad/"
expect_exit "check: a malformed manifest is still an error" 2 "$REFEREE" check "$T/bad"
# ... and check still writes its reports, the error in them.
expect_exit "check --json --junit --html on a malformed manifest: exit 2" 2 \
  "$REFEREE" check --json --junit "$T/bad.xml" --html "$T/bad.html" "$T/bad"
expect_out_match "check --json: an error member naming file:line" '"error": ".*claims.yaml:[0-9]+'
expect_true "check --junit: written, with a failed case" grep -q "<failure" "$T/bad.xml"
expect_true "check --html: written" grep -q "claims.yaml" "$T/bad.html"
printf 'kind: claimz\nschema: 1\n' > "$T/bad/claims.yaml"
expect_exit "check: a misspelt kind with a schema: is still an error" 2 "$REFEREE" check "$T/bad"
done_testing
