#!/usr/bin/env bash
# bench_model_digest: `referee model digest` (OpenSSF Model Signing digest of
# a model folder) against the reference implementation's own hashing
# (`model_signing`, PyPI: the same files serialization and the same digest)
# and `sha256sum` over the same files, side by side, all cores.  The model
# is generated under $BENCH_DIR (default $BENCH_MODEL_GIB = 2 GiB: four
# shards of a quarter of it plus small files) and deleted at the end.
set -euo pipefail
: "${REFEREE:?set REFEREE to the referee binary}"
: "${BENCH_DIR:?set BENCH_DIR}"
. "$(dirname "$0")/cpu.sh"
GIB=${BENCH_MODEL_GIB:-2}
REPS=${BENCH_REPS:-3}
PY=${PYTHON:-python3}
W="$BENCH_DIR/model_digest"
rm -rf "$W"; mkdir -p "$W/model"
trap 'rm -rf "$W"' EXIT
stream() { { openssl enc -aes-128-ctr -pass pass:referee-bench-$2 -nosalt -pbkdf2 </dev/zero 2>/dev/null || true; } | head -c "$1"; }
part=$(( (GIB << 30) / 4 ))
for i in 1 2 3 4; do stream "$part" "$i" > "$W/model/model-0000$i-of-00004.safetensors"; done
for i in $(seq 1 32); do stream 65536 "s$i" > "$W/model/tok$i.json"; done
mib=$(( $(du -sm --apparent-size "$W/model" | cut -f1) ))
cat "$W"/model/* > /dev/null
echo "model: $mib MiB in $(ls "$W/model" | wc -l) files, page cache warm; cpu: $(bench_cpu)"
rate() { awk -v m="$mib" -v t="$1" 'BEGIN { printf "%5.0f MiB/s", m / (t / 1000) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ref=$(best_ms "$REFEREE" model digest "$W/model")
ref_sh=$(best_ms "$REFEREE" model digest --shards "$W/model")
sum=$(best_ms bash -c 'cd "$1" && sha256sum -- * > /dev/null' _ "$W/model")
sum_par=$(best_ms bash -c 'cd "$1" && ls | xargs -P "$(nproc)" -n 1 sha256sum > /dev/null' _ "$W/model")
printf '  %-34s %6d ms  %s\n' "referee model digest" "$ref" "$(rate "$ref")"
printf '  %-34s %6d ms  %s\n' "referee model digest --shards" "$ref_sh" "$(rate "$ref_sh")"
printf '  %-34s %6d ms  %s\n' "sha256sum (one process)" "$sum" "$(rate "$sum")"
printf '  %-34s %6d ms  %s\n' "sha256sum x $(nproc) processes" "$sum_par" "$(rate "$sum_par")"
if "$PY" -c "import model_signing" 2>/dev/null; then
  ms=$(best_ms "$PY" -c 'import sys, model_signing; model_signing.hashing.hash(sys.argv[1])' "$W/model")
  ms_sh=$(best_ms "$PY" -c 'import sys, model_signing; model_signing.hashing.Config().use_shard_serialization().hash(sys.argv[1])' "$W/model")
  printf '  %-34s %6d ms  %s\n' "model_signing (files)" "$ms" "$(rate "$ms")"
  printf '  %-34s %6d ms  %s\n' "model_signing (shards)" "$ms_sh" "$(rate "$ms_sh")"
  echo "  RATIO referee/model_signing throughput (files): $(ratio "$ms" "$ref") [$(bench_cpu)]"
  echo "  RATIO referee/model_signing throughput (shards): $(ratio "$ms_sh" "$ref_sh") [$(bench_cpu)]"
else
  echo "  model_signing: not installed (make deps), not compared"
fi
echo "  RATIO referee/sha256sum throughput: $(ratio "$sum" "$ref") [$(bench_cpu)]"
echo "  RATIO referee/sha256sum x $(nproc) processes: $(ratio "$sum_par" "$ref") [$(bench_cpu)]"
