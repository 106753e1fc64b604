#!/usr/bin/env bash
# Make tests/gpu/prebuilt/: referee, the CUDA module, bench_gpt and the CUDA
# tests, with the shared libraries they need beyond glibc and libstdc++, for
# a GPU machine that lacks referee's C dependencies (libgit2, OpenSSL,
# libyaml, jansson, cmocka) and cannot install them.  Run it here, then carry
# tests/gpu/prebuilt along; tests/gpu/run.sh uses it only when building from
# source fails there, and rebuilds the CUDA module with that machine's nvcc.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -j"$(nproc)" CUDA=1 all unit
cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Ilib -o build/bench_gpt tests/gpu/bench_gpt.c \
  build/libreferee.a $(pkg-config --libs libgit2 openssl yaml-0.1 jansson) -lm -ldl -pthread
P=tests/gpu/prebuilt
rm -rf "$P"
mkdir -p "$P/tests" "$P/lib"
cp build/referee build/bench_gpt "$P/"
[ -f build/referee-cuda.so ] && cp build/referee-cuda.so "$P/"
cp build/tests/test_backend build/tests/test_gpt_cuda "$P/tests/"
for f in "$P/referee" "$P/bench_gpt" "$P"/tests/*; do
  ldd "$f" | awk '$3 ~ /^\// {print $3}'
done | sort -u |
  grep -vE '/(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s)\.so|/ld-linux' |
  while read -r lib; do cp -L "$lib" "$P/lib/"; done
du -sh "$P"
echo "carry: $P  (tests/gpu/run.sh OUTDIR uses it when the build fails there)"
