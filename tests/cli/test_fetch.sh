#!/usr/bin/env bash
# Large files by reference (BagIt fetch.txt, RFC 8493 §2.2.3): pack
# --by-reference, verify of a complete-but-holey bag (--allow-holey,
# --fetched), Python bagit reading it, and holes that must fail.
. "$(dirname "$0")/lib.sh"
R=$REFEREE
PY=${PYTHON:-python3}
cd "$T"
mkdir -p src/weights
echo claims > src/claims.txt
head -c 40000 /dev/urandom > src/weights/model-00001.safetensors
head -c 30000 /dev/urandom > src/weights/model-00002.safetensors
echo '{"a": 1}' > "src/weights/my config.json"
$R keygen ed --no-passphrase >/dev/null 2>&1
expect_exit "pack --by-reference --sign" 0 $R pack b src --sign ed.key \
  --by-reference '*.safetensors=https://hub.example.org/org/model/resolve/main/' \
  --by-reference '*config.json=s3://bucket/cfg/'
expect_true "the weights are not in the bag" test ! -e b/data/src/weights/model-00001.safetensors
expect_true "fetch.txt lists URL, size, path" grep -qx \
  'https://hub.example.org/org/model/resolve/main/src/weights/model-00001.safetensors 40000 data/src/weights/model-00001.safetensors' b/fetch.txt
expect_true "a space in a name is percent-encoded in the URL" grep -q 's3://bucket/cfg/src/weights/my%20config.json 9 data/src/weights/my config.json' b/fetch.txt
expect_true "manifest lines kept" grep -q 'data/src/weights/model-00002.safetensors' b/manifest-sha256.txt
expect_true "Payload-Oxum counts the complete payload" grep -q 'Payload-Oxum: 70016.4' b/bag-info.txt
expect_exit "verify: complete but holey is a failure" 1 $R verify b --trust ed.pub
expect_err_match "the missing files are named with their URL" "model-00001.safetensors' is not in the bag \(complete but holey\): fetch it from https://hub.example.org/"
expect_err_match "summary" "complete but holey: 3 of 3 files by reference"
expect_exit "verify --allow-holey" 0 $R verify b --trust ed.pub --allow-holey
expect_exit "verify --allow-holey unsigned check" 0 $R verify b --allow-holey
if $PY -c "import bagit" 2>/dev/null; then
  expect_true "Python bagit reads the holey bag's fetch.txt" $PY -c "
import bagit
b = bagit.Bag('b')
got = sorted(f for _, _, f in b.fetch_entries())
assert got == ['data/src/weights/model-00001.safetensors', 'data/src/weights/model-00002.safetensors', 'data/src/weights/my config.json'], got
assert len(b.payload_entries()) == 4"
  expect_exit "Python bagit: the holey bag is not valid yet" 1 $PY -c "
import bagit, sys
try: bagit.Bag('b').validate()
except bagit.BagValidationError: sys.exit(1)"
else skip "Python bagit" "not installed"; skip "Python bagit validate" "not installed"; fi
# The user fetches with their own tools; here: copies.
mkdir -p got/data/src/weights got2/src/weights
cp src/weights/*.safetensors got/data/src/weights/
cp "src/weights/my config.json" got2/src/weights/
expect_exit "verify --fetched: the part fetched so far, the rest open" 1 $R verify b --trust ed.pub --fetched got
expect_err_match "the open one is named" "my config.json' is not in the bag"
cp "src/weights/my config.json" got/data/src/weights/
expect_exit "verify --fetched DIR (DIR/data/PATH)" 0 $R verify b --trust ed.pub --fetched got
expect_err_match "says all were checked" "complete once fetched: 3 of 3 .*3 fetched and checked, 0 not here"
rm -rf got3; mkdir -p got3; cp -r got2/src got3/; cp src/weights/*.safetensors got3/src/weights/
expect_exit "verify --fetched DIR (DIR/PATH under data/)" 0 $R verify b --trust ed.pub --fetched got3
printf 'X' | dd of=got/data/src/weights/model-00002.safetensors bs=1 seek=9 conv=notrunc 2>/dev/null
expect_exit "a fetched file with a changed byte fails" 1 $R verify b --trust ed.pub --fetched got
expect_err_match "named" "fetched copy 'got/data/src/weights/model-00002.safetensors' differs"
# Fetched into the bag itself: a complete bag, valid for every tool.
cp -r b full; cp src/weights/*.safetensors full/data/src/weights/; cp "src/weights/my config.json" full/data/src/weights/
expect_exit "the bag with its files fetched in is valid" 0 $R verify full --trust ed.pub
if $PY -c "import bagit" 2>/dev/null; then
  expect_true "Python bagit validates it" $PY -c "import bagit; bagit.Bag('full').validate()"
else skip "Python bagit" "not installed"; fi
# Tampering with a hole's manifest line (and the tag manifest): the signed
# digest catches it before anyone fetches.
cp -r b forged
$PY - <<'PYEOF'
p = 'forged/manifest-sha256.txt'
lines = open(p).read().splitlines(True)
open(p, 'w').write(''.join(('0' * 64 + l[64:]) if 'model-00001' in l else l for l in lines))
PYEOF
$PY "$TESTS_DIR/cli/retag.py" forged
expect_exit "a hole whose manifest digest changed fails the signature check" 1 $R verify forged --trust ed.pub --allow-holey
expect_err_match "reason" "manifest digest other than the signed one"
# A file that is neither in the bag nor in fetch.txt is still missing.
cp -r b gone; rm gone/data/src/claims.txt
expect_exit "a missing file not listed in fetch.txt fails, --allow-holey or not" 1 $R verify gone --allow-holey
expect_err_match "named" "claims.txt"
# Malformed fetch.txt
cp -r b bad1; echo 'http://x 12' >> bad1/fetch.txt
expect_exit "a malformed fetch.txt line: exit 2" 2 $R verify bad1 --allow-holey
expect_err_match "line named" "fetch.txt:4: not 'URL SIZE PATH'"
cp -r b bad2; echo 'http://x 12 data/../../etc/passwd' >> bad2/fetch.txt
expect_exit "an unsafe fetch.txt path: exit 2" 2 $R verify bad2 --allow-holey
expect_err_match "path named" "is not a safe path under data/"
expect_exit "--by-reference without '=': exit 2" 2 $R pack b3 src --by-reference '*.bin'
expect_exit "unsigned holey pack" 0 $R pack u src --by-reference 'weights/*=https://h/'
expect_exit "unsigned holey verify --allow-holey" 0 $R verify u --allow-holey
# Every verb that reads a bag verifies it through rf_bundle_verify(): a
# holey bag is incomplete for check, review and sign as well.
run $R verify b --trust ed.pub --allow-holey
expect_out_match "verify --allow-holey: the verdict says HOLEY" "verdict: VERIFIED.*HOLEY: 3 of 3 files by reference"
expect_out_match "fetch.txt's URLs are an unsigned extra" "extra: +'fetch.txt': its URLs are not signed"
expect_exit "check of a holey bag fails" 1 $R check b
expect_exit "review of a holey bag fails" 1 $R review b -q
done_testing
