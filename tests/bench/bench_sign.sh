#!/usr/bin/env bash
# bench_sign: what signatures cost a reviewer.  `referee verify --trust` on
# a signed bag against two baselines run side by side on the same payload:
# `referee verify` of the same payload packed unsigned (BagIt checks only)
# and `sha256sum -c`.  verify --trust reads the payload once: the digests
# that hold the signed statement against the files on disk are the ones the
# BagIt checks compare with the manifest (rf_verify_opts.known), so expect a
# ratio near 1 (it was 1.8-1.9 when each file was read twice).  Also sign
# and countersign time.
# Best of $BENCH_REPS runs, warm page cache; data under $BENCH_DIR, deleted.
set -euo pipefail
: "${REFEREE:?set REFEREE to the referee binary}"
: "${BENCH_DIR:?set BENCH_DIR}"
REPS=${BENCH_REPS:-3}
FILES=${BENCH_SIGN_FILES:-256}
FILE_KIB=${BENCH_SIGN_FILE_KIB:-2048}
W="$BENCH_DIR/sign"
rm -rf "$W"
mkdir -p "$W/payload"
trap 'rm -rf "$W"' EXIT
stream() { { openssl enc -aes-128-ctr -pass pass:referee-bench -nosalt -pbkdf2 </dev/zero 2>/dev/null || true; } | head -c "$1"; }
echo "generating $FILES x $FILE_KIB KiB under $W"
stream $((FILES * FILE_KIB << 10)) | (cd "$W/payload" && split -a 4 -d -b "${FILE_KIB}K" - part.)
cd "$W"
"$REFEREE" keygen author --no-passphrase >/dev/null 2>&1
"$REFEREE" keygen reviewer --no-passphrase >/dev/null 2>&1
mkdir trusted && cp author.pub reviewer.pub trusted/

best() { # best wall time in seconds of REPS runs of CMD...
  local b="" t s e
  for _ in $(seq "$REPS"); do
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; e=$(date +%s.%N)
    t=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f", e - s }')
    if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN { exit !(t < b) }'; then b=$t; fi
  done
  echo "$b"
}
"$REFEREE" pack -q plain payload
t_pack=$(best sh -c "rm -rf signed; '$REFEREE' pack -q signed payload --sign author.key")
t_packplain=$(best sh -c "rm -rf p2; '$REFEREE' pack -q p2 payload")
t_cs=$(best sh -c "rm -rf cs; cp -a signed cs; '$REFEREE' sign cs --key reviewer.key --trust author.pub")
rm -rf cs; cp -a signed cs; "$REFEREE" sign cs --key reviewer.key --trust author.pub >/dev/null 2>&1
t_plain=$(best "$REFEREE" verify -q plain)
t_trust=$(best "$REFEREE" verify -q cs --trust trusted --min-signatures 2)
t_sha=$(best sh -c "cd plain && sha256sum -c --strict --quiet manifest-sha256.txt")
mib=$((FILES * FILE_KIB / 1024))
printf '%-46s %8.3fs\n' "sha256sum -c ($mib MiB, $FILES files)" "$t_sha"
printf '%-46s %8.3fs\n' "referee verify (unsigned bag)" "$t_plain"
printf '%-46s %8.3fs\n' "referee verify --trust (2 signatures)" "$t_trust"
printf '%-46s %8.3fs\n' "referee pack --sign" "$t_pack"
printf '%-46s %8.3fs\n' "referee pack (no signature)" "$t_packplain"
printf '%-46s %8.3fs\n' "referee sign (countersign, incl. cp -a)" "$t_cs"
ratio() { awk -v a="$2" -v b="$3" -v l="$1" 'BEGIN { printf "ratio %-34s %.2f\n", l ":", a / b }'; }
ratio "verify --trust / verify unsigned" "$t_trust" "$t_plain"
ratio "verify --trust / sha256sum -c" "$t_trust" "$t_sha"
ratio "pack --sign / pack" "$t_pack" "$t_packplain"
