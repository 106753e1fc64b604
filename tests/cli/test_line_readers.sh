#!/usr/bin/env bash
# Every line reader of a hostile file treats a NUL byte as a malformed line
# naming it (issue 11: rescore's fgets+strlen dropped the rest of a line and
# spliced the next one on; the other readers are checked here): grpo audit,
# replay --check's log, bag-info.txt, manifests, allowed-signers files (an
# embedded NUL ended the list early, silently dropping the signers after it).
. "$(dirname "$0")/lib.sh"
cd "$T"
printf '{"grpo_batch": 1}\n{"group": 0, "reward": 1, "logp": [-0.1]}\000garbage\n{"group": 0, "reward": 0, "logp": [-0.2]}\n' > nul.jsonl
expect_exit "grpo audit: a NUL in a line is malformed" 2 "$REFEREE" grpo audit nul.jsonl
expect_err_match "...naming line 2" "nul.jsonl':2:"

mkdir src && printf 'a\n' > src/a.txt
"$REFEREE" pack -q bag src
printf 'Note: a\000b\n' >> bag/bag-info.txt
# (exit 1: the tag manifest no longer matches either)
expect_exit "bag-info.txt: a NUL is refused" 1 "$REFEREE" verify bag
expect_err_match "...as malformed, naming the line" "malformed: bag-info.txt line [0-9]+: NUL byte"
"$REFEREE" pack -q bag2 src
printf '%064d  data/src/x\000y\n' 0 >> bag2/manifest-sha256.txt
expect_exit "manifest: a NUL is refused" 1 "$REFEREE" verify bag2
expect_err_match "...as malformed, naming the line" "malformed: manifest-sha256.txt line 2: NUL byte"

"$REFEREE" keygen a --no-passphrase >/dev/null 2>&1
"$REFEREE" keygen b --no-passphrase >/dev/null 2>&1
"$REFEREE" pack -q signed src --sign b.key
{ printf 'alice a.pub\000\n'; printf 'bob b.pub\n'; } > signers
expect_exit "allowed-signers: a NUL is malformed (bob was dropped before)" 2 "$REFEREE" verify signed --trust signers
expect_err_match "...naming the line" "signers:1: NUL byte"

# a 2 GiB single line (a sparse file): refused at once, in bounded memory
truncate -s 2G huge.jsonl
expect_exit "grpo audit: a 2 GiB one-line file is refused" 2 timeout 60 "$REFEREE" grpo audit huge.jsonl
expect_err_match "...with the limit named" "huge.jsonl' is larger than the limit of [0-9]+ bytes"

R=$REPO_DIR/manifests/tiny-grpo/test.yaml
if "$REFEREE" replay "$R" --out rp -j 2 --quiet >/dev/null 2>&1; then
  cp -r rp hugerp && rm hugerp/log.jsonl && truncate -s 2G hugerp/log.jsonl
  expect_exit "replay --check: a 2 GiB one-line log is refused" 2 timeout 60 "$REFEREE" replay --check hugerp --quiet
  expect_err_match "...with the limit named" "log.jsonl(. is larger than the limit of|.:1: line longer than) [0-9]+ bytes"
  "${PYTHON:-python3}" - rp/log.jsonl <<'PYEOF'
import sys
p = sys.argv[1]
lines = open(p, 'rb').read().split(b'\n')
lines[1] = lines[1][:10] + b'\x00' + lines[1][10:]
open(p, 'wb').write(b'\n'.join(lines))
PYEOF
  expect_exit "replay --check: a NUL in the author's log is malformed" 2 "$REFEREE" replay --check rp --quiet
  expect_err_match "...naming line 2" "log.jsonl':2:"
else
  skip "replay --check: a NUL in the author's log" "the replay did not run"
fi
done_testing
