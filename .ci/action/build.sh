#!/usr/bin/env bash
# referee in CI, step 2: build referee from this checkout (the same commit
# as the action or template in use) and install it under PREFIX, then put
# its bin/ on the PATH of the following steps.
#   REFEREE_SRC     the referee checkout (default: this script's repository)
#   REFEREE_PREFIX  where to install (default: $RUNNER_TEMP/referee, else
#                   $CI_PROJECT_DIR/.referee, else /tmp/referee)
#   REFEREE_BUILD   build folder inside the checkout (default: build)
set -euo pipefail
src=${REFEREE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
prefix=${REFEREE_PREFIX:-${RUNNER_TEMP:+$RUNNER_TEMP/referee}}
prefix=${prefix:-${CI_PROJECT_DIR:+$CI_PROJECT_DIR/.referee}}
prefix=${prefix:-/tmp/referee}
jobs=$(nproc 2>/dev/null || echo 2)
make -C "$src" --no-print-directory -j"$jobs" BUILD="${REFEREE_BUILD:-build}" CUDA=0 all >/dev/null
make -C "$src" --no-print-directory BUILD="${REFEREE_BUILD:-build}" CUDA=0 PREFIX="$prefix" install >/dev/null
echo "referee: $("$prefix/bin/referee" --version) installed in $prefix"
# GitHub: later steps find it on the PATH (GitLab: the job sets PATH itself)
if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$prefix/bin" >> "$GITHUB_PATH"
fi
