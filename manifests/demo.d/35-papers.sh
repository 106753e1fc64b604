#!/usr/bin/env bash
# Claims as other papers write them: BLOOM's emissions, Llama 2's Table 2, Llama 3's bound, power of ten and steady-state MFU, s1's steps
# Four worked examples from published papers other than DeepSeek's
# (manifests/README.md explains each verdict): an energy and emissions
# ledger (BLOOM), a table of GPU-hours and emissions whose totals add up but
# whose emissions cannot be derived (Llama 2: no carbon intensity stated), a
# bound, a power of ten and a steady-state MFU range (Llama 3), and a step
# count derived as epochs × ceil(examples / batch) (s1).  Every example
# exits 0: nothing is inconsistent, and what the papers do not give is
# UNVERIFIABLE, with the reason.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${REFEREE:=$PWD/build/referee}"
say() { printf '\n$ %s\n' "$*"; }

say referee lint manifests/bloom manifests/llama-2 manifests/llama-3 manifests/s1
"$REFEREE" lint manifests/bloom manifests/llama-2 manifests/llama-3 manifests/s1

for ex in bloom llama-2 llama-3 s1; do
  say referee check manifests/$ex
  set +e
  "$REFEREE" check "manifests/$ex"
  status=$?
  set -e
  [ "$status" = 0 ] || { echo "(unexpected exit $status)"; exit 1; }
done
echo "(BLOOM: 1,082,990 GPU-h x 400 W = 433,196 kWh, x 57 gCO2eq/kWh = 24.69 t, 'approximately 24.7 tonnes';"
echo " Llama 3: 16,384 GPUs meet 'up to 16K', 6 x 405B x 15.6T meets 3.8 x 10^25, and the whole run's"
echo " 34.3-34.7% of peak is at or below the 38-43% steady-state MFU; s1: 5 x ceil(1000/16) = 315 steps)"

say referee check --explain manifests/llama-3 "| sed -n '/^llama-3-steady-state-mfu/,\$p'"
"$REFEREE" check --explain manifests/llama-3 | sed -n '/^llama-3-steady-state-mfu/,$p'
