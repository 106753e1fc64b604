# Shared helpers for CLI tests: source it, then call the assertions.
# Each assertion prints one TAP line ("ok N - name" / "not ok N - name").
# Runs the real binary ($REFEREE); every test works in its own temp dir.
set -u
: "${REFEREE:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/referee}"
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$TESTS_DIR/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/referee-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
_n=0
_failed=0

ok()      { _n=$((_n + 1)); echo "ok $_n - $1"; }
not_ok()  { _n=$((_n + 1)); _failed=1; echo "not ok $_n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
skip()    { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP ${2:-}"; }

# run CMD...: runs with stdout/stderr captured in $T/out $T/err, status in $rc
run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; }

# expect_exit NAME CODE CMD...: the command exits with CODE
expect_exit() {
  local name=$1 code=$2; shift 2
  run "$@"
  if [ "$rc" -eq "$code" ]; then ok "$name"
  else not_ok "$name" "expected exit $code, got $rc: $*" "stderr: $(head -c 600 "$T/err")" "stdout: $(head -c 600 "$T/out")"; fi
}

# expect_err_match NAME REGEX: last run's stderr matches REGEX (grep -E)
expect_err_match() {
  if grep -qE -- "$2" "$T/err"; then ok "$1"
  else not_ok "$1" "stderr does not match /$2/" "stderr: $(head -c 600 "$T/err")"; fi
}

# expect_out_match NAME REGEX: last run's stdout matches REGEX
expect_out_match() {
  if grep -qE -- "$2" "$T/out"; then ok "$1"
  else not_ok "$1" "stdout does not match /$2/" "stdout: $(head -c 800 "$T/out")"; fi
}

# expect_true NAME CMD...: the command exits 0
expect_true() {
  local name=$1; shift
  if "$@" >"$T/tout" 2>&1; then ok "$name"
  else not_ok "$name" "command failed: $*" "$(head -c 600 "$T/tout")"; fi
}

# done_testing: exit non-zero when any assertion failed
done_testing() { echo "1..$_n"; exit $_failed; }

# system python with PyTorch (Debian's python3-torch)
SYSPY=/usr/bin/python3
