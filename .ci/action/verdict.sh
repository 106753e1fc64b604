#!/usr/bin/env bash
# referee in CI, last step: fail the job on a failing verdict, with the
# exit code referee gave (1 a check failed, 2 bad input, 3 internal).
#   REFEREE_EXIT  the code (default: read from REFEREE_REPORTS/exit-code)
set -euo pipefail
ws=${GITHUB_WORKSPACE:-${CI_PROJECT_DIR:-$PWD}}
reports=${REFEREE_REPORTS:-$ws/referee-reports}
case "$reports" in /*) ;; *) reports=$ws/$reports ;; esac
code=${REFEREE_EXIT:-$(cat "$reports/exit-code" 2>/dev/null || echo 3)}
if [ "$code" != 0 ]; then
  echo "referee: failing verdict (exit $code); see the job summary and the reports" >&2
  exit "$code"
fi
echo "referee: every check holds"
