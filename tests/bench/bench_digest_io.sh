#!/usr/bin/env bash
# bench_digest_io: how file bytes reach SHA-256 -- pread in blocks of 64 KiB
# to 4 MiB, and mmap -- on one generated file with a warm page cache (the
# measurement behind RF_DIGEST_READ_SIZE), then `referee model digest` with
# the chosen size against `openssl dgst -sha256` on the same file.  CPU
# time is printed beside wall time: on a shared machine it is the steadier
# of the two.
set -euo pipefail
: "${REFEREE:?set REFEREE to the referee binary}"
: "${BENCH_DIR:?set BENCH_DIR}"
. "$(dirname "$0")/cpu.sh"
MIB=${BENCH_IO_MIB:-1024}
REPS=${BENCH_REPS:-3}
W="$BENCH_DIR/digest_io"
rm -rf "$W"; mkdir -p "$W/m"
trap 'rm -rf "$W"' EXIT
${CC:-cc} -O2 -o "$W/digest_io" tests/bench/digest_io.c $(pkg-config --cflags --libs openssl)
{ openssl enc -aes-128-ctr -pass pass:referee-bench -nosalt -pbkdf2 </dev/zero 2>/dev/null || true; } \
  | head -c $((MIB << 20)) > "$W/m/big.bin"
cat "$W/m/big.bin" > /dev/null
echo "one $MIB MiB file, page cache warm; cpu: $(bench_cpu)"
"$W/digest_io" "$W/m/big.bin" "$REPS" | sed 's/^/  /'
r=$(best_ms "$REFEREE" model digest -j 1 "$W/m")
o=$(best_ms openssl dgst -sha256 "$W/m/big.bin")
printf '  referee model digest -j 1: %d ms; openssl dgst -sha256: %d ms\n' "$r" "$o"
echo "  RATIO single-file referee/openssl throughput: $(awk -v a="$o" -v b="$r" 'BEGIN { printf "%.2f", a / b }') [$(bench_cpu)]"
