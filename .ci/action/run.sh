#!/usr/bin/env bash
# referee in CI, step 3: run `referee review` (or `check`, `verify`) on a
# path of the repository, write the reports, put the Markdown report in the
# job summary, and record the exit code.  The step itself exits 0 so that
# the reports are uploaded; .ci/action/verdict.sh fails the job afterwards.
#   REFEREE_COMMAND  review (default), check or verify
#   REFEREE_PATH     the bundle or folder, relative to the workspace
#   REFEREE_TRUST    trusted keys (relative to the workspace; optional)
#   REFEREE_ARGS     more arguments for the command (optional)
#   REFEREE_REPORTS  report folder (default: referee-reports in the workspace)
#   REFEREE          the program (default: referee on the PATH)
# GitHub sets GITHUB_WORKSPACE, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT; GitLab
# sets CI_PROJECT_DIR (the summary then goes to the job log and the reports).
set -uo pipefail
ws=${GITHUB_WORKSPACE:-${CI_PROJECT_DIR:-$PWD}}
cmd=${REFEREE_COMMAND:-review}
referee=${REFEREE:-referee}
reports=${REFEREE_REPORTS:-$ws/referee-reports}
case "$reports" in /*) ;; *) reports=$ws/$reports ;; esac
: "${REFEREE_PATH:?set the path to review (action input 'path', GitLab variable REFEREE_PATH)}"
case "$REFEREE_PATH" in /*) target=$REFEREE_PATH ;; *) target=$ws/$REFEREE_PATH ;; esac
mkdir -p "$reports"

args=()
if [ -n "${REFEREE_TRUST:-}" ]; then
  case "$REFEREE_TRUST" in /*) trust=$REFEREE_TRUST ;; *) trust=$ws/$REFEREE_TRUST ;; esac
  args+=(--trust "$trust")
fi
# shellcheck disable=SC2206 # word splitting of extra arguments is intended
[ -n "${REFEREE_ARGS:-}" ] && args+=($REFEREE_ARGS)
case "$cmd" in
  review) args+=(--html "$reports/referee.html" --json "$reports/referee.json"
                 --junit "$reports/referee.junit.xml" --markdown "$reports/referee.md") ;;
  check)  args+=(--junit "$reports/referee.junit.xml" --html "$reports/referee.html") ;;
  verify) ;;
  *) echo "referee: command must be review, check or verify, not '$cmd'" >&2; exit 2 ;;
esac

echo "referee $cmd ${args[*]} $target"
"$referee" "$cmd" "${args[@]}" "$target" > "$reports/referee.txt" 2>&1
code=$?
cat "$reports/referee.txt"
case $code in 0) verdict=PASS ;; 1) verdict=FAIL ;; *) verdict=ERROR ;; esac

# The Markdown summary: review writes one; check and verify get their output
# in a code block.
if [ "$cmd" != review ] || [ ! -s "$reports/referee.md" ]; then
  {
    echo "## referee $cmd: $verdict"
    echo
    echo "\`$REFEREE_PATH\` · exit $code"
    echo
    echo '```'
    # a fence inside the output must not close ours
    sed 's/```/`` `/g' "$reports/referee.txt"
    echo '```'
  } > "$reports/referee.md"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$reports/referee.md" >> "$GITHUB_STEP_SUMMARY"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  { echo "exit-code=$code"; echo "verdict=$verdict"; echo "reports=$reports"; } >> "$GITHUB_OUTPUT"
fi
echo "$code" > "$reports/exit-code"
echo "referee $cmd: $verdict (exit $code); reports in $reports"
exit 0
