#!/usr/bin/env bash
# referee in a research repository's CI: the GitHub Action (action.yml) and
# the GitLab template (.ci/action/referee.gitlab-ci.yml), run step by step as their
# runners would (tests/py/ci_runner.py) with the runners' variables set:
# the job summary, the outputs, the reports, the exit codes.
. "$(dirname "$0")/lib.sh"
python3 -c 'import yaml' 2>/dev/null || { skip "CI templates" "python3 has no yaml module (python3-yaml)"; done_testing; }
cd "$T" || exit 1
RUNNER="python3 $TESTS_DIR/py/ci_runner.py"
export REFEREE_BUILD="${BUILD:-build}"   # reuse the suite's build: the step builds nothing new

# A research repository: its evidence bundle, and a tampered copy.
mkdir -p ws/paper ws/keys
cp "$REPO_DIR"/manifests/deepseek-v3/*.yaml ws/paper/
cp "$TESTS_DIR/data/framework/open-r1-grpo-config_demo.yaml" ws/paper/grpo.yaml
(cd ws/paper && "$REFEREE" pack -q --allow-dirty ../bundle . >/dev/null 2>&1)
cp -r ws/bundle ws/tampered
printf 'X' | dd of=ws/tampered/data/ledger.yaml bs=1 seek=5 conv=notrunc 2>/dev/null
mkdir -p ws/broken && printf 'kind: claims\nschema: 1\nclaims: [\n' > ws/broken/claims.yaml

github() { # NAME INPUTS...: a fresh runner environment, then the action
  local name=$1; shift
  rm -rf "gh-$name" && mkdir -p "gh-$name/tmp"
  : > "gh-$name/summary.md"; : > "gh-$name/path"
  GITHUB_WORKSPACE="$T/ws" GITHUB_STEP_SUMMARY="$T/gh-$name/summary.md" \
  GITHUB_PATH="$T/gh-$name/path" RUNNER_TEMP="$T/gh-$name/tmp" CI=true GITHUB_ACTIONS=true \
    $RUNNER github "$REPO_DIR/action.yml" "$@" --report "$T/gh-$name/run.json" \
    >"$T/gh-$name/log" 2>&1
  rc=$?
}
jq_() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)" "$@"; }

# --- GitHub: a clean bundle
github clean --input path=bundle --input args=--no-hw
if [ "$rc" -eq 0 ]; then ok "action: a clean bundle passes the job"; else not_ok "action: a clean bundle passes the job" "$(tail -20 gh-clean/log)"; fi
expect_true "action: the Markdown report is in the job summary" grep -q "^## referee review: .* PASS" gh-clean/summary.md
expect_true "action: the summary holds the verdict table" grep -q "^| integrity | .* PASS |" gh-clean/summary.md
expect_true "action: referee is on the PATH of later steps" grep -q "gh-clean/tmp/referee/bin" gh-clean/path
expect_true "action: outputs exit-code 0 and verdict PASS" jq_ gh-clean/run.json 'd["outputs"]=={"exit-code": "0", "verdict": "PASS"}'
expect_true "action: the reports are uploaded as an artifact" \
  jq_ gh-clean/run.json 'any(s.get("uses","").startswith("actions/upload-artifact@") and s["with"]["path"].endswith("referee-reports") for s in d["steps"])'
for f in referee.html referee.junit.xml referee.json referee.md; do
  expect_true "action: report $f written" test -s "ws/referee-reports/$f"
done
expect_true "action: referee was built from this commit and installed" test -x gh-clean/tmp/referee/bin/referee

# --- GitHub: a tampered bundle fails the job, reports still uploaded
github tampered --input path=tampered --input args=--no-hw --input reports=out-tampered
if [ "$rc" -eq 1 ]; then ok "action: a tampered bundle fails the job"; else not_ok "action: a tampered bundle fails the job" "runner exit $rc" "$(tail -20 gh-tampered/log)"; fi
expect_true "action: the summary says FAIL" grep -q "^## referee review: .* FAIL" gh-tampered/summary.md
expect_true "action: the run step itself succeeded, the upload ran, the verdict step failed with 1" \
  jq_ gh-tampered/run.json '[s["outcome"] for s in d["steps"]]==["success","success","success","success","failure"] and d["steps"][4]["rc"]==1'
expect_true "action: reports written for the failing run" test -s ws/out-tampered/referee.junit.xml

# --- GitHub: a malformed manifest is exit 2, with its reports
github broken --input path=broken --input args=--no-hw --input reports=out-broken
expect_true "action: a malformed manifest fails with exit 2" jq_ gh-broken/run.json 'd["outputs"]["exit-code"]=="2" and d["steps"][4]["rc"]==2'
expect_true "action: its JSON report holds the error" grep -q '"error": ".*claims.yaml' ws/out-broken/referee.json

# --- GitHub: check and verify chosen by the input
github check --input path=paper --input command=check --input reports=out-check
expect_true "action: command check passes on the claims" jq_ gh-check/run.json 'd["outputs"]["verdict"]=="PASS"'
expect_true "action: check's output in the summary" grep -q "^## referee check: PASS" gh-check/summary.md
expect_true "action: check writes JUnit" test -s ws/out-check/referee.junit.xml
github verify --input path=tampered --input command=verify --input reports=out-verify
expect_true "action: command verify fails on the tampered bag" jq_ gh-verify/run.json 'd["outputs"]["verdict"]=="FAIL" and d["failed"]'
expect_true "action: verify's problem in the summary" grep -q "mismatch" gh-verify/summary.md
github bad --input path=bundle --input command=frobnicate --input reports=out-bad
expect_true "action: an unknown command fails the job" jq_ gh-bad/run.json 'd["failed"]'
github none --input path=bundle --input nope=1
expect_true "action: an unknown input is refused (the runner checks inputs)" grep -q "unknown inputs: nope" gh-none/log

# --- GitLab: the same, through the template's hidden job
gitlab() { # NAME VARS...
  local name=$1; shift
  rm -rf "gl-$name" && mkdir -p "gl-$name"
  CI_PROJECT_DIR="$T/ws" CI=true GITLAB_CI=true CI_JOB_NAME=referee \
    $RUNNER gitlab "$REPO_DIR/.ci/action/referee.gitlab-ci.yml" --job .referee \
    --var REFEREE_SRC="$REPO_DIR" --var REFEREE_PREFIX="$T/gl-$name/prefix" "$@" \
    --report "$T/gl-$name/run.json" >"$T/gl-$name/log" 2>&1
  rc=$?
}
gitlab clean --var REFEREE_PATH=bundle --var REFEREE_ARGS=--no-hw --var REFEREE_REPORTS=gl-reports
if [ "$rc" -eq 0 ]; then ok "gitlab: a clean bundle passes the job"; else not_ok "gitlab: a clean bundle passes the job" "$(tail -20 gl-clean/log)"; fi
expect_true "gitlab: the Markdown report is printed in the job log" grep -q "^## referee review: .* PASS" gl-clean/log
expect_true "gitlab: the JUnit report is where artifacts:reports:junit says" \
  jq_ gl-clean/run.json 'all(__import__("os").path.getsize(p) > 0 for p in d["junit"]) and d["artifacts_when"]=="always"'
gitlab tampered --var REFEREE_PATH=tampered --var REFEREE_ARGS=--no-hw --var REFEREE_REPORTS=gl-tampered
if [ "$rc" -eq 1 ]; then ok "gitlab: a tampered bundle fails the job"; else not_ok "gitlab: a tampered bundle fails the job" "runner exit $rc" "$(tail -20 gl-tampered/log)"; fi
expect_true "gitlab: reports kept for the failing job" test -s ws/gl-tampered/referee.junit.xml
expect_true "gitlab: the job log names the failing verdict" grep -q "failing verdict (exit 1)" gl-tampered/log
# Without a referee checkout and without REFEREE_REPO, the job says what to set.
rm -rf gl-norepo && mkdir -p gl-norepo
CI_PROJECT_DIR="$T/ws" CI=true GITLAB_CI=true $RUNNER gitlab "$REPO_DIR/.ci/action/referee.gitlab-ci.yml" \
  --job .referee --var REFEREE_SRC="$T/nowhere" --var REFEREE_PATH=bundle \
  --report "$T/gl-norepo/run.json" >"$T/gl-norepo/log" 2>&1
expect_true "gitlab: no checkout and no REFEREE_REPO: the job fails saying so" \
  grep -q "set REFEREE_REPO" "$T/gl-norepo/log"
done_testing
