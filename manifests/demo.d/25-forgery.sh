#!/usr/bin/env bash
# What a reviewer is told is what was signed: a claims file edited after
# signing (every BagIt digest recomputed) is caught by `check` itself, even
# without --trust; a stripped signature says UNSIGNED; --expect-id pins the
# submission.
set -euo pipefail
cd "$DEMO_DIR"
R=$REFEREE
[ -d bundle ] && [ -f bundle/referee/attestation.dsse.json ] || { echo "(the signing part did not run: skipped)"; exit 0; }
id=$(sed -n 's/^External-Identifier: //p' bundle/bag-info.txt)
if [ -n "$id" ]; then
  echo "\$ referee verify bundle --trust trusted --expect-id $id"
  "$R" verify -q bundle --trust trusted --expect-id "$id" && echo "(the bag is the submission the reviewer pinned)"
fi
rm -rf forged && cp -r bundle forged
claims=$(cd forged && find data -path '*deepseek-r1/claims.yaml' | head -1)
[ -n "$claims" ] || { echo "(no R1 claims in the bundle: skipped)"; exit 0; }
sed -i 's/about 4 days/about 3.3 days/' "forged/$claims"
(cd forged && find data -type f | LC_ALL=C sort | while read -r f; do sha256sum "$f"; done > manifest-sha256.txt)
"${PYTHON:-python3}" - forged <<'PYEOF'
import hashlib, json, os, sys
bag = sys.argv[1]
p = bag + '/referee/provenance.json'
prov = json.load(open(p))
for rec in prov.get('files', []):
    f = bag + '/' + rec['path']
    rec['sha256'] = hashlib.sha256(open(f, 'rb').read()).hexdigest()
open(p, 'w').write(json.dumps(prov, indent=2) + '\n')
tags = ['bagit.txt', 'bag-info.txt', 'manifest-sha256.txt'] + sorted('referee/' + x for x in os.listdir(bag + '/referee'))
open(bag + '/tagmanifest-sha256.txt', 'w').write(''.join(hashlib.sha256(open(bag + '/' + t, 'rb').read()).hexdigest() + '  ' + t + '\n' for t in tags))
PYEOF
echo "\$ referee check forged    # 'about 4 days' edited to 'about 3.3 days', every digest recomputed"
set +e
"$R" check forged >/dev/null 2>"$DEMO_DIR/forged.err"
status=$?
set -e
grep -v '^referee check: \.\.\.' "$DEMO_DIR/forged.err" | head -3
echo "(exit $status: the signed statement does not match the edited file, so no claim is believed)"
[ "$status" -eq 1 ] && grep -q "does not verify: not checking its claims" "$DEMO_DIR/forged.err"
