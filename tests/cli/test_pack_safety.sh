#!/usr/bin/env bash
# Never lose a user's data, and smaller findings of issue 11 (each case
# failed before its fix):
# - pack --force deleted any folder holding a file named bagit.txt;
# - Ctrl-C after the point of no return said "nothing was written" while
#   the old bag was already replaced;
# - pack did not create OUT's missing parent folders;
# - bags were made 0700 whatever the umask;
# - a SIGKILLed pack left OUT.tmp-XXXXXX behind forever;
# - --trust naming a FIFO blocked forever; a .pub holding two PEM blocks
#   silently trusted the first; the Sigstore bundle's verificationMaterial
#   was not compared with anything.
. "$(dirname "$0")/lib.sh"
cd "$T"
PY=${PYTHON:-python3}
mkdir src && printf 'a\n' > src/a.txt

# --force replaces only a complete bag
mkdir thesis && printf 'BagIt-Version: 1.0\n' > thesis/bagit.txt && printf 'my thesis\n' > thesis/thesis.tex && mkdir thesis/.git
expect_exit "--force refuses a folder that merely holds a bagit.txt" 2 "$REFEREE" pack --force thesis src
expect_err_match "...naming what is in the way" "'(thesis.tex|.git)' is no part of a bag"
expect_true "...and the thesis is intact" test -f thesis/thesis.tex -a -d thesis/.git
mkdir halfbag && printf 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n' > halfbag/bagit.txt
expect_exit "--force refuses a bagit.txt without data/" 2 "$REFEREE" pack --force halfbag src
expect_true "...which stays" test -f halfbag/bagit.txt
"$REFEREE" pack -q realbag src
printf 'b\n' > src/b.txt
expect_exit "--force replaces a complete bag" 0 "$REFEREE" pack -q --force realbag src
expect_true "...with the new payload" test -f realbag/data/src/b.txt
mkdir emptydir
expect_exit "--force fills an empty folder" 0 "$REFEREE" pack -q --force emptydir src

# Ctrl-C arriving during the commit (strace injects SIGINT into the rename
# that swaps the bags): the truth is told, the bag is there
if strace -f -o /dev/null -e trace=renameat2 -e inject=renameat2:signal=SIGINT:when=2 true 2>/dev/null; then
  printf 'c\n' > src/c.txt
  strace -f -o /dev/null -e trace=renameat2 -e inject=renameat2:signal=SIGINT:when=2 \
    "$REFEREE" pack -q --force realbag src >"$T/out" 2>"$T/err"
  rc=$?
  if [ -f realbag/data/src/c.txt ] && ! grep -q "nothing was written" "$T/err"; then
    ok "an interrupt past the point of no return is not reported as 'nothing written'"
  else
    not_ok "an interrupt past the point of no return is not reported as 'nothing written'" "rc=$rc $(cat "$T/err")"
  fi
  expect_err_match "...it says the bag is in place" "new bag is complete and in place at 'realbag'"
  expect_exit "...and the bag verifies" 0 "$REFEREE" verify -q realbag
else
  skip "Ctrl-C at the commit" "strace cannot inject signals here"
fi

# missing parent folders
expect_exit "pack creates OUT's missing parent folders" 0 "$REFEREE" pack -q deep/er/out src
expect_true "...and the bag is there" test -f deep/er/out/bagit.txt

# modes honour the umask
(umask 027 && "$REFEREE" pack -q m027 src)
(umask 022 && "$REFEREE" pack -q m022 src)
if [ "$(stat -c %a m027)" = 750 ] && [ "$(stat -c %a m022)" = 755 ] &&
   [ "$(stat -c %a m027/bag-info.txt)" = 640 ] && [ "$(stat -c %a m022/bag-info.txt)" = 644 ]; then
  ok "bag modes follow the umask (750/640 under 027, 755/644 under 022)"
else
  not_ok "bag modes follow the umask" "$(stat -c '%n %a' m027 m022 m027/bag-info.txt m022/bag-info.txt)"
fi

# a stale temporary folder of ours (its process is gone) is cleaned; a
# folder of the same shape that is not ours is left alone
sh -c 'exit 0' & deadpid=$!; wait $deadpid
mkdir stale.tmp-AAAAAA && printf '%s\n' "$deadpid" > stale.tmp-AAAAAA/.referee-pack-in-progress && printf 'x' > stale.tmp-AAAAAA/partial
mkdir stale.tmp-BBBBBB && printf 'mine\n' > stale.tmp-BBBBBB/notes.txt
mkdir stale.tmp-CCCCCC && printf '%s\n' "$$" > stale.tmp-CCCCCC/.referee-pack-in-progress
expect_exit "pack next to stale temporary folders" 0 "$REFEREE" pack -q stale src
if [ ! -e stale.tmp-AAAAAA ]; then ok "...ours, of a dead process, is removed"; else not_ok "...ours, of a dead process, is removed"; fi
expect_true "...one without our marker is left alone" test -f stale.tmp-BBBBBB/notes.txt
expect_true "...one whose process still runs is left alone" test -d stale.tmp-CCCCCC
if ls -a stale | grep -q referee-pack-in-progress; then not_ok "no marker left in the bag"; else ok "no marker left in the bag"; fi

# trust lists: a FIFO, a .pub with two keys
"$REFEREE" keygen author --no-passphrase >/dev/null 2>&1
"$REFEREE" keygen other --no-passphrase >/dev/null 2>&1
"$REFEREE" pack -q signed src --sign author.key
mkfifo fifo.pub
expect_exit "--trust naming a FIFO is refused at once" 2 timeout 20 "$REFEREE" verify signed --trust fifo.pub
expect_err_match "...as not a regular file" "not a regular file"
printf 'alice fifo.pub\n' > signers
expect_exit "an allowed-signers line naming a FIFO is refused" 2 timeout 20 "$REFEREE" verify signed --trust signers
cat other.pub author.pub > two.pub
expect_exit "a .pub holding two PEM blocks is refused" 2 "$REFEREE" verify signed --trust two.pub
expect_err_match "...saying so" "holds 2 PEM blocks"

# Sigstore verificationMaterial: only our keyid hint, nothing trusted there
cp -r signed cert
"$PY" - cert <<'PYEOF'
import hashlib, json, os, sys
bag = sys.argv[1]
p = bag + '/referee/attestation.sigstore.json'
b = json.load(open(p))
b['verificationMaterial']['x509CertificateChain'] = {'certificates': [{'rawBytes': 'AAAA'}]}
open(p, 'w').write(json.dumps(b) + '\n')
lines = []
for f in ['bagit.txt', 'bag-info.txt', 'manifest-sha256.txt'] + sorted('referee/' + x for x in os.listdir(bag + '/referee')):
    lines.append(hashlib.sha256(open(bag + '/' + f, 'rb').read()).hexdigest() + '  ' + f)
open(bag + '/tagmanifest-sha256.txt', 'w').write('\n'.join(sorted(lines, key=lambda l: l.split('  ')[1])) + '\n')
PYEOF
expect_exit "a certificate slipped into verificationMaterial is refused" 1 "$REFEREE" verify cert
expect_err_match "...as not our Sigstore bundle" "attestation.sigstore.json' is not a Sigstore bundle"
done_testing
