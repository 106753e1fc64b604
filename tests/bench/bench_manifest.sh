#!/usr/bin/env bash
# bench_manifest: `referee digest` and `referee lint` on a generated
# cost-ledger of 10,000 stages (about 2.6 MiB of YAML), against a baseline
# run side by side on the same file: PyYAML (its C loader when available) +
# json.dumps(sort_keys, compact) + hashlib.sha256 — the same canonical form
# for this document.  Best wall time of $BENCH_REPS runs; printed as ratios.
# Also checks that both digests agree.
set -euo pipefail
: "${REFEREE:?set REFEREE to the referee binary}"
: "${BENCH_DIR:?set BENCH_DIR}"
REPS=${BENCH_REPS:-5}
N=${BENCH_STAGES:-10000}
W="$BENCH_DIR/manifest"
rm -rf "$W" && mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "skipped: PyYAML (the baseline) is not installed"; exit 0
fi
python3 - "$W/ledger.yaml" "$N" <<'PY'
import sys
n = int(sys.argv[2])
with open(sys.argv[1], "w") as f:
    f.write("# generated for bench_manifest\nkind: cost-ledger\nschema: 1\ncurrency: USD\n")
    f.write("rates:\n  H800: $2 per GPU hour\n  A100: $1.5 per GPU hour\nstages:\n")
    for i in range(n):
        f.write(f"  - id: stage-{i}\n    name: \"Stage {i} of the run\"  # comment {i}\n"
                f"    accelerator: {'H800' if i % 3 else 'A100'}\n    gpus: {8 * (1 + i % 64)}\n"
                f"    hours: approximately {10 + i % 200} hours\n    gpu-hours: {i % 97 + 1}K GPU-hours\n"
                f"    cost: ${2 * (i % 97 + 1)}K\n    source: \"row {i} of the table\"\n")
    f.write("total: {gpu-hours: 147K GPU-hours, cost: $294K}\n")
PY
echo "input: $N stages, $(( $(stat -c %s "$W/ledger.yaml") / 1024 )) KiB"

best() { # best wall seconds of $REPS runs of CMD...
  local b="" s e t
  for _ in $(seq "$REPS"); do
    s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N)
    t=$(( e - s )); if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
  done
  awk -v n="$b" 'BEGIN { printf "%.4f", n / 1e9 }'
}
cat >"$W/base.py" <<'PY'
import hashlib, json, sys, yaml
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
doc = yaml.load(open(sys.argv[1], encoding="utf-8"), Loader=Loader)
s = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
print(hashlib.sha256(s.encode()).hexdigest())
PY
loader=$(python3 -c 'import yaml; print("C" if hasattr(yaml, "CSafeLoader") else "pure-Python")')
ours=$("$REFEREE" digest "$W/ledger.yaml" | cut -d' ' -f1)
theirs=$(python3 "$W/base.py" "$W/ledger.yaml")
[ "$ours" = "$theirs" ] && echo "digests agree: $ours" || { echo "DIGESTS DIFFER: $ours vs $theirs"; exit 1; }
t_digest=$(best "$REFEREE" digest "$W/ledger.yaml")
t_lint=$(best "$REFEREE" lint -q "$W/ledger.yaml")
t_py=$(best python3 "$W/base.py" "$W/ledger.yaml")
printf '%-44s %8ss\n' "referee digest" "$t_digest" "referee lint (parse + schema + figures)" "$t_lint" \
  "baseline: PyYAML ($loader loader) + json + sha256" "$t_py"
awk -v a="$t_digest" -v b="$t_py" 'BEGIN { printf "digest speed-up over the baseline: %.1fx\n", b / a }'
