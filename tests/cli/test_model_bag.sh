#!/usr/bin/env bash
# pack --model DIR: the bag records the model's OpenSSF Model Signing
# statement (referee/model.json) and, signed, names the model's OMS digest
# as a subject; verify --model DIR checks a model folder against it.
. "$(dirname "$0")/lib.sh"
R=$REFEREE
PY=${PYTHON:-python3}
cd "$T"
mkdir -p src m/sub
echo evidence > src/claims.txt
head -c 30000 /dev/urandom > m/weights.bin
echo '{"dim": 4}' > m/sub/config.json
$R keygen ed --no-passphrase >/dev/null 2>&1
expect_exit "pack --model --sign" 0 $R pack b src --model m --sign ed.key
expect_true "model.json recorded" test -s b/referee/model.json
want=$($R model digest m | cut -d' ' -f1 | sed 's/^sha256://')
expect_true "the signed statement names the model's OMS digest" $PY -c "
import json, base64, sys
st = json.loads(base64.b64decode(json.load(open('b/referee/attestation.dsse.json'))['payload']))
s = [x for x in st['subject'] if x['name'] == 'model/m']
sys.exit(0 if s and s[0]['digest']['sha256'] == '$want' else 1)"
expect_exit "verify --trust --model" 0 $R verify b --trust ed.pub --model m
if $PY -c "import bagit" 2>/dev/null; then
  expect_true "Python bagit validates the bag" $PY -c "import bagit; bagit.Bag('b').validate()"
else skip "Python bagit" "not installed"; fi
cp -r m m2; printf 'X' | dd of=m2/weights.bin bs=1 seek=7 conv=notrunc 2>/dev/null
expect_exit "a changed weight byte fails" 1 $R verify b --trust ed.pub --model m2
expect_err_match "named" "model file 'm2/weights.bin' differs"
rm -rf m2; cp -r m m2; echo x > m2/extra.bin
expect_exit "an unrecorded model file fails" 1 $R verify b --trust ed.pub --model m2
expect_err_match "named" "model file 'm2/extra.bin' is not recorded"
rm -rf m2; cp -r m m2; mv m2/sub/config.json m2/sub/config2.json
expect_exit "a renamed model file fails" 1 $R verify b --trust ed.pub --model m2
expect_err_match "named" "is recorded but missing"
expect_exit "a missing model folder: exit 2" 2 $R verify b --trust ed.pub --model "$T/nowhere"
expect_exit "pack a bag without a model" 0 $R pack plain src --sign ed.key
expect_exit "verify --model on a bag with no record" 2 $R verify plain --trust ed.pub --model m
expect_err_match "reason" "records no model"
# The record rewritten consistently (resources, subject digest, tag
# manifest): the signed subject catches it.
cp -r b forged
$PY - <<'PYEOF'
import json, hashlib
p = 'forged/referee/model.json'; d = json.load(open(p))
d['predicate']['resources'][0]['digest'] = '00' * 32
d['subject'][0]['digest']['sha256'] = hashlib.sha256(b''.join(
    bytes.fromhex(r['digest']) for r in d['predicate']['resources'])).hexdigest()
open(p, 'w').write(json.dumps(d))
PYEOF
$PY "$TESTS_DIR/cli/retag.py" forged
expect_exit "a rewritten model record fails the signature check" 1 $R verify forged --trust ed.pub
expect_err_match "reason" "differs from the signed subject"
# The record deleted (and dropped from the tag manifest): the signed model
# subject has no record.
cp -r b gone; rm gone/referee/model.json; grep -v 'referee/model.json' b/tagmanifest-sha256.txt > gone/tagmanifest-sha256.txt
expect_exit "a deleted model record fails" 1 $R verify gone --trust ed.pub
expect_err_match "reason" "names a model, but the bag has no"
# An unsigned bag with a model record: BagIt covers it
expect_exit "pack --model unsigned" 0 $R pack u src --model m
expect_exit "verify --model unsigned" 0 $R verify u --model m
# The signed statement names the model by its record's digest: the record
# is no unsigned extra; and check/review get the signed-subject checks too.
run $R verify b --trust ed.pub
expect_true "the model record is not an unsigned extra" bash -c "! grep -q 'extra:.*model.json' '$T/out'"
expect_exit "check of the forged record fails (rf_bundle_verify)" 1 $R check forged
done_testing
