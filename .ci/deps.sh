#!/usr/bin/env bash
# Install what referee needs to build and test, and only what is missing.
# Idempotent.  As a non-root user it prints the exact commands instead.
set -euo pipefail

DEB_PKGS="build-essential pkg-config libgit2-dev libssl-dev libyaml-dev libjansson-dev
libcmocka-dev openssl git python3 python3-pip python3-torch python3-numpy
libopenblas0-pthread chromium strace clang zlib1g-dev libzstd-dev zstd
libunistring-dev libopenmpi-dev openmpi-bin python3-yaml libcurl4-openssl-dev"
# clang: the libFuzzer harnesses (make fuzz, tests/fuzz/), ASan+UBSan.
# zlib, libzstd, libunistring: `referee contamination` reads gzip and zstd
# corpora and normalises text (NFKC, case folding); zstd (the program) makes
# the tests' compressed corpora.  OpenMPI: `make MPI=1` builds referee-mpi.
# libopenblas0-pthread: Debian's PyTorch (the benchmarks' and cross-checks'
# baseline) otherwise runs its matrix products on netlib's reference BLAS,
# which would make every "x times PyTorch" figure a strawman.
# chromium: the suite renders `review --html` headless and screenshots it;
# strace: the suite checks that review hashes each payload file once;
# python3-yaml: the suite runs the CI templates (tests/py/ci_runner.py).
# libcurl4-openssl-dev: RFC 3161 timestamps (pack/sign --tsa) over HTTP.
# Test and benchmark tooling only (never linked into referee).
PIP_PKGS="bagit securesystemslib math-verify sigstore-models in-toto-attestation"
# model-signing: the OpenSSF Model Signing reference implementation (interop
# tests of `referee model`); it imports pyOpenSSL without declaring it.
PIP_PKGS="$PIP_PKGS model-signing pyopenssl"

missing=""
for p in $DEB_PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "deps: installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends $missing >/dev/null
  else
    echo "deps: missing Debian packages; run:"
    echo "  sudo apt-get install -y$missing"
  fi
fi

# The python3 on PATH runs the pip tooling; PyTorch comes from Debian and runs
# under the system interpreter (/usr/bin/python3).
PY=${PYTHON:-python3}
pymissing=""
for p in $PIP_PKGS; do
  mod=$(echo "$p" | tr '-' '_')
  [ "$p" = math-verify ] && mod=math_verify
  [ "$p" = pyopenssl ] && mod=OpenSSL
  "$PY" -c "import $mod" 2>/dev/null || pymissing="$pymissing $p"
done
if [ -n "$pymissing" ]; then
  if [ "$(id -u)" -eq 0 ] || [ -n "${VIRTUAL_ENV:-}" ]; then
    echo "deps: installing PyPI test tooling:$pymissing"
    "$PY" -m pip install -q $pymissing 2>/dev/null \
      || "$PY" -m pip install -q --break-system-packages $pymissing
  else
    echo "deps: missing PyPI test tooling; run:"
    echo "  $PY -m pip install --user$pymissing"
  fi
fi
exit 0
