# Sourced by the benchmarks: one line naming this machine's CPU, printed
# next to every ratio so that a regression on one CPU vendor shows; and a
# best-of-N timer.
bench_cpu() {
  local model flags
  model=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
  flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | tr ' ' '\n' | grep -xE 'sha_ni|avx2|avx512f' | tr '\n' ' ')
  printf '%s, %s cores, %s; L2 %s; load %s' "${model:-unknown CPU}" "$(nproc)" \
    "${flags:-no sha_ni/avx2}" \
    "$(lscpu 2>/dev/null | awk -F: '/^L2 cache/ { gsub(/^ +/, "", $2); print $2 }')" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# best_ms CMD...: the best wall time in ms of $BENCH_REPS (3) runs of CMD.
best_ms() {
  local b="" s e t
  for _ in $(seq "${BENCH_REPS:-3}"); do
    s=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; return 1; }
    e=$(date +%s%N); t=$(( (e - s) / 1000000 ))
    if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
  done
  echo "$b"
}
