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
P=tests/gpu/prebuilt
rm -rf "$P"
mkdir -p "$P/tests" "$P/lib"
# Linked again with an RPATH (not RUNPATH: it must cover libgit2's own
# dependencies too) to the libraries copied beside them, so that nothing
# else on that machine (python, torch, nvcc) sees them.
LIBS="$(pkg-config --libs libgit2 openssl yaml-0.1 jansson) -lm -ldl -pthread"
RP='-Wl,--disable-new-dtags,-rpath,$ORIGIN/lib'
RPT='-Wl,--disable-new-dtags,-rpath,$ORIGIN/../lib'
cc -pthread -o "$P/referee" build/cmd/*.o build/libreferee.a $LIBS "$RP"
cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Ilib -o "$P/bench_gpt" tests/gpu/bench_gpt.c \
  build/libreferee.a $LIBS "$RP"
for t in test_backend test_gpt_cuda; do
  cc -O2 -std=c11 -D_GNU_SOURCE -pthread -Iinclude -Ilib $(pkg-config --cflags cmocka) \
    -DRF_TEST_DATA="\"$PWD/tests/data\"" -o "$P/tests/$t" "tests/unit/$t.c" \
    build/libreferee.a $LIBS $(pkg-config --libs cmocka) "$RPT"
done
[ -f build/referee-cuda.so ] && cp build/referee-cuda.so "$P/"
for f in "$P/referee" "$P/bench_gpt" "$P"/tests/*; do
  ldd "$f" | awk '$3 ~ /^\// {print $3}'
done | sort -u |
  grep -vE '/(libc|libm|libdl|libpthread|librt|libresolv|libnsl|libutil|libanl|libstdc\+\+|libgcc_s)\.so|/ld-linux' |
  grep -v "^$PWD/$P/" |
  while read -r lib; do cp -L "$lib" "$P/lib/"; done
du -sh "$P"
echo "carry: $P  (tests/gpu/run.sh OUTDIR uses it when the build fails there)"
