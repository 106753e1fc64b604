#!/usr/bin/env bash
# referee contamination against a straightforward Python implementation of
# the same method (tests/py/contam_ref.py), side by side: corpus MB per
# CPU-second (per core) for plain text and JSON Lines, thread scaling, and
# peak memory at 1x and 10x the corpus.  Benchmark side: AIME 2024, AMC
# 2023, Minerva and MATH (422 items, 13-grams).  Corpus: real English text,
# Debian's /usr/share/doc/*/copyright files (else the licence texts in
# tests/data/contam), BENCH_CONTAM_MB MB of it (default 40).
set -euo pipefail
cd "$(dirname "$0")/../.."
REFEREE=${REFEREE:-$PWD/build/referee}
W=${BENCH_DIR:-/tmp}/contam
MB=${BENCH_CONTAM_MB:-40}
PYMB=${BENCH_CONTAM_PY_MB:-4}
REPS=${BENCH_REPS:-3}
D=tests/data
EV="--eval $D/aime24.jsonl --eval $D/amc23.jsonl --eval $D/minerva_math.jsonl --eval $D/math_cot_80.jsonl"
mkdir -p "$W"
python3 - "$W" "$MB" "$PYMB" <<'PY'
import glob, json, os, sys
out, mb, pymb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
files = sorted(glob.glob('/usr/share/doc/*/copyright')) or sorted(glob.glob('tests/data/contam/*.txt'))
text = []
size = 0
while size < mb << 20:
    for f in files:
        try:
            t = open(f, encoding='utf-8', errors='replace').read()
        except OSError:
            continue
        text.append(t)
        size += len(t.encode())
        if size >= mb << 20:
            break
body = ''.join(text).encode()[:mb << 20].decode('utf-8', 'ignore')
body = body[:body.rfind('\n') + 1]
open(os.path.join(out, 'corpus.txt'), 'w', encoding='utf-8').write(body)
with open(os.path.join(out, 'corpus.jsonl'), 'w', encoding='utf-8') as f:
    for p in body.split('\n\n'):
        if p.strip():
            f.write(json.dumps({'text': p, 'meta': {'len': len(p)}}) + '\n')
for name in ('corpus.txt', 'corpus.jsonl'):
    data = open(os.path.join(out, name), 'rb').read()
    cut = data[:pymb << 20]
    cut = cut[:cut.rfind(b'\n') + 1]
    open(os.path.join(out, 'py-' + name), 'wb').write(cut)
PY
load() { cut -d' ' -f1-3 /proc/loadavg; }
# best (lowest CPU) of REPS runs: prints "wall cpu maxrss_kb"
measure() {
  local best="" r
  for _ in $(seq "$REPS"); do
    /usr/bin/time -f "%e %U %S %M" -o "$W/time" "$@" > /dev/null 2>&1 || [ $? -eq 1 ]
    r=$(awk '{printf "%.2f %.2f %d\n", $1, $2 + $3, $4}' "$W/time")
    if [ -z "$best" ] || awk -v a="$r" -v b="$best" 'BEGIN{split(a,x," ");split(b,y," ");exit !(x[2]<y[2])}'; then best=$r; fi
  done
  echo "$best"
}
mbs() { awk -v b="$1" -v t="$2" 'BEGIN{ if (t <= 0) t = 0.01; printf "%.1f", b / 1048576 / t }'; }
echo "load average before: $(load) on $(nproc) CPUs (shared machine: CPU seconds, not wall, give the per-core figures)"
for kind in txt jsonl; do
  f=$W/corpus.$kind; pf=$W/py-corpus.$kind
  bytes=$(stat -c %s "$f"); pbytes=$(stat -c %s "$pf")
  read -r w1 c1 m1 <<< "$(measure "$REFEREE" contamination $EV -j 1 "$f")"
  read -r pw pc pm <<< "$(measure python3 tests/py/contam_ref.py $EV "$pf")"
  r=$(mbs "$bytes" "$c1"); p=$(mbs "$pbytes" "$pc")
  printf '%-6s referee -j1 %6.1f MiB: %s MiB/CPU-s (wall %ss)   python: %s MiB/CPU-s on %.1f MiB   ratio %sx per core\n' \
    "$kind" "$(awk -v b="$bytes" 'BEGIN{print b/1048576}')" "$r" "$w1" "$p" \
    "$(awk -v b="$pbytes" 'BEGIN{print b/1048576}')" "$(awk -v a="$r" -v b="$p" 'BEGIN{printf "%.0f", a / b}')"
done
f=$W/corpus.txt; bytes=$(stat -c %s "$f")
read -r w1 c1 m1 <<< "$(measure "$REFEREE" contamination $EV -j 1 "$f")"
read -r w2 c2 m2 <<< "$(measure "$REFEREE" contamination $EV -j 2 "$f")"
echo "threads (text): -j1 wall ${w1}s ($(mbs "$bytes" "$w1") MiB/s), -j2 wall ${w2}s ($(mbs "$bytes" "$w2") MiB/s), speed-up $(awk -v a="$w1" -v b="$w2" 'BEGIN{printf "%.2f", a / (b > 0 ? b : 0.01)}')x; load $(load)"
for _ in $(seq 10); do cat "$f"; done > "$W/corpus10.txt"
read -r _ _ r1 <<< "$(measure "$REFEREE" contamination $EV -j 2 "$f")"
read -r _ _ r10 <<< "$(measure "$REFEREE" contamination $EV -j 2 "$W/corpus10.txt")"
echo "peak memory (-j2): 1x corpus ($(awk -v b="$bytes" 'BEGIN{printf "%.0f", b/1048576}') MiB) ${r1} KiB, 10x corpus ${r10} KiB"
rm -f "$W/corpus10.txt"
# MPI: the same corpus as 8 files, 1 rank vs 2 ranks (one thread each)
MPIBIN=$(dirname "$REFEREE")/referee-mpi
if [ -x "$MPIBIN" ] && command -v mpirun > /dev/null; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
  split -n l/8 -d --additional-suffix=.txt "$f" "$W/part"
  read -r m1 _ _ <<< "$(measure mpirun -np 1 "$MPIBIN" contamination $EV -j 1 "$W"/part*.txt)"
  read -r m2 _ _ <<< "$(measure mpirun -np 2 "$MPIBIN" contamination $EV -j 1 "$W"/part*.txt)"
  echo "MPI (8 files, -j1 per rank, wall incl. mpirun start): 1 rank ${m1}s ($(mbs "$bytes" "$m1") MiB/s), 2 ranks ${m2}s ($(mbs "$bytes" "$m2") MiB/s); load $(load)"
  rm -f "$W"/part*.txt
else
  echo "MPI: referee-mpi not built (make MPI=1), skipped"
fi
echo "load average after: $(load)"
