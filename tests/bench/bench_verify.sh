#!/usr/bin/env bash
# bench_verify: `referee verify` on a generated 2 GiB payload (one 1 GiB
# file and 2048 files of 512 KiB), against two baselines run side by side
# on the same files: `sha256sum -c` (coreutils) and `openssl dgst -sha256`.
# Printed as throughput ratios; each timing is the best of $BENCH_REPS runs
# with a warm page cache.  The data lives under $BENCH_DIR and is deleted
# at the end.  Targets (issue 2): single file within 10% of openssl
# (ratio >= 0.9); many files with 2 cores >= 1.7x openssl.
set -euo pipefail
: "${REFEREE:?set REFEREE to the referee binary}"
: "${BENCH_DIR:?set BENCH_DIR}"
REPS=${BENCH_REPS:-3}
BIG_MIB=${BENCH_BIG_MIB:-1024}
MANY=${BENCH_MANY:-2048}
MANY_KIB=${BENCH_MANY_KIB:-512}
W="$BENCH_DIR/verify"
rm -rf "$W"
mkdir -p "$W/payload/big" "$W/payload/many"
trap 'rm -rf "$W"' EXIT

# Incompressible bytes, fast: AES-CTR keystream.
# (openssl dies of SIGPIPE when head has enough: not a failure)
stream() { { openssl enc -aes-128-ctr -pass pass:referee-bench -nosalt -pbkdf2 </dev/zero 2>/dev/null || true; } | head -c "$1"; }
echo "generating $BIG_MIB MiB + $MANY x $MANY_KIB KiB under $W"
stream $((BIG_MIB << 20)) > "$W/payload/big/big.bin"
stream $((MANY * MANY_KIB << 10)) | (cd "$W/payload/many" && split -a 4 -d -b "${MANY_KIB}K" - part.)
"$REFEREE" pack -q "$W/bag" "$W/payload/big" "$W/payload/many"
rm -rf "$W/payload"
"$REFEREE" pack -q "$W/bag-big" "$W/bag/data/big/big.bin"
total_mib=$(( $(du -sm --apparent-size "$W/bag/data" | cut -f1) ))
echo "payload: $total_mib MiB in $(wc -l < "$W/bag/manifest-sha256.txt") files; cores: $(nproc)"

# best VAR CMD...: the best wall time of $REPS runs in VAR (seconds) and
# that run's CPU time (user + system) in VAR_cpu, from GNU time.
TIME_BIN=$(command -v /usr/bin/time || true)
best() {
  local var=$1; shift
  local b="" bc="" s e t c
  for _ in $(seq "$REPS"); do
    s=$(date +%s%N)
    if [ -n "$TIME_BIN" ]; then
      "$TIME_BIN" -f '%U %S' -o "$W/cpu" "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
    else
      "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
      echo "0 0" > "$W/cpu"
    fi
    e=$(date +%s%N)
    t=$(( (e - s) / 1000000 ))
    c=$(awk '{ printf "%.3f", $1 + $2 }' "$W/cpu")
    if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; bc=$c; fi
  done
  printf -v "$var" '%d.%03d' $((b / 1000)) $((b % 1000))
  printf -v "${var}_cpu" '%s' "$bc"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
rate()  { awk -v m="$1" -v t="$2" 'BEGIN { printf "%.0f MiB/s", m / t }'; }

# Warm the page cache so that all tools read from memory.
cat "$W"/bag/data/*/* "$W"/bag-big/data/* > /dev/null
echo "load average before measuring: $(cut -d' ' -f1-3 /proc/loadavg)"

# Baselines over file lists run as one shell command, so that GNU time
# counts every process they start.
openssl_all=(bash -c 'find "$1/bag/data" -type f -print0 | sort -z | xargs -0 openssl dgst -sha256' _ "$W")
sha256sum_all=(bash -c 'cd "$1/bag" && sha256sum -c --strict --quiet manifest-sha256.txt' _ "$W")
sha256sum_big=(bash -c 'cd "$1/bag-big" && sha256sum -c --strict --quiet manifest-sha256.txt' _ "$W")

# The many-file case alone: a bag of just the 512 KiB files.
mkdir -p "$W/bag-many-src"
mv "$W/bag/data/many" "$W/bag-many-src/many"
"$REFEREE" pack -q "$W/bag-many" "$W/bag-many-src/many"
mv "$W/bag-many-src/many" "$W/bag/data/many"
rmdir "$W/bag-many-src"
cat "$W"/bag-many/data/many/* > /dev/null
openssl_many=(bash -c 'find "$1/bag-many/data/many" -type f -print0 | sort -z | xargs -0 openssl dgst -sha256' _ "$W")
# The same files split over one openssl process per core: what this machine
# gives to independent processes, so a busy machine shows up as such.
openssl_many_par=(bash -c 'find "$1/bag-many/data/many" -type f -print0 | sort -z | xargs -0 -P "$2" -n "$3" openssl dgst -sha256' _ "$W" "$(nproc)" $(( (MANY + $(nproc) - 1) / $(nproc) )))
sha256sum_many=(bash -c 'cd "$1/bag-many" && sha256sum -c --strict --quiet manifest-sha256.txt' _ "$W")
many_mib=$((MANY * MANY_KIB / 1024))

echo
echo "single file ($BIG_MIB MiB):"
best t_ref "$REFEREE" verify -q "$W/bag-big"
best t_ossl openssl dgst -sha256 "$W/bag-big/data/big.bin"
best t_sum "${sha256sum_big[@]}"
line() { printf '  %-22s %7ss wall  %7ss cpu  %s\n' "$1" "$2" "$3" "$(rate "$4" "$2")"; }
line "referee verify" "$t_ref" "$t_ref_cpu" "$BIG_MIB"
line "openssl dgst -sha256" "$t_ossl" "$t_ossl_cpu" "$BIG_MIB"
line "sha256sum -c" "$t_sum" "$t_sum_cpu" "$BIG_MIB"
echo "  RATIO single-file referee/openssl throughput: $(ratio "$t_ossl" "$t_ref") (target >= 0.90)"
echo "  RATIO single-file referee/openssl CPU per byte: $(ratio "$t_ref_cpu" "$t_ossl_cpu") (lower is better)"
echo "  RATIO single-file referee/sha256sum throughput: $(ratio "$t_sum" "$t_ref")"

echo
echo "many files ($MANY x $MANY_KIB KiB = $many_mib MiB), referee -j $(nproc):"
best m_ref "$REFEREE" verify -q "$W/bag-many"
best m_ref1 "$REFEREE" verify -q -j 1 "$W/bag-many"
best m_ossl "${openssl_many[@]}"
best m_sum "${sha256sum_many[@]}"
best m_par "${openssl_many_par[@]}"
line "referee verify" "$m_ref" "$m_ref_cpu" "$many_mib"
line "referee verify -j 1" "$m_ref1" "$m_ref1_cpu" "$many_mib"
line "openssl dgst -sha256" "$m_ossl" "$m_ossl_cpu" "$many_mib"
line "sha256sum -c" "$m_sum" "$m_sum_cpu" "$many_mib"
line "openssl x $(nproc) procs" "$m_par" "$m_par_cpu" "$many_mib"
echo "  RATIO many-file referee/openssl throughput: $(ratio "$m_ossl" "$m_ref") (target >= 1.70 with 2 cores)"
echo "  RATIO many-file referee -j 1/openssl throughput: $(ratio "$m_ossl" "$m_ref1")"
echo "  referee -j $(nproc) kept $(ratio "$m_ref_cpu" "$m_ref") cores busy on average (CPU/wall; $(nproc) = all of them)"
echo "  RATIO many-file referee -j $(nproc) / -j 1 wall time: $(ratio "$m_ref1" "$m_ref") (parallel speed-up)"
echo "  RATIO openssl in $(nproc) processes / 1 process: $(ratio "$m_ossl" "$m_par") (the parallelism this machine offers now)"
echo "  RATIO many-file referee/openssl in $(nproc) processes: $(ratio "$m_par" "$m_ref")"
echo "  RATIO many-file referee/sha256sum throughput: $(ratio "$m_sum" "$m_ref")"

echo
echo "whole payload ($total_mib MiB, big + many files):"
best a_ref "$REFEREE" verify -q "$W/bag"
best a_ossl "${openssl_all[@]}"
best a_sum "${sha256sum_all[@]}"
line "referee verify" "$a_ref" "$a_ref_cpu" "$total_mib"
line "openssl dgst -sha256" "$a_ossl" "$a_ossl_cpu" "$total_mib"
line "sha256sum -c" "$a_sum" "$a_sum_cpu" "$total_mib"
echo "  RATIO whole-payload referee/openssl throughput: $(ratio "$a_ossl" "$a_ref")"
echo "  RATIO whole-payload referee/sha256sum throughput: $(ratio "$a_sum" "$a_ref")"
echo "  (load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg); other jobs share these cores)"
. "$(dirname "$0")/cpu.sh"
echo "  ratios above measured on: $(bench_cpu)"
