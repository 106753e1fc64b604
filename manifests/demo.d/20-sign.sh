#!/usr/bin/env bash
# Signatures: the author signs the bundle, a reviewer countersigns, both are verified
set -euo pipefail
cd "$DEMO_DIR"
R=$REFEREE
if [ ! -d bundle ]; then
  # The bundle part did not run: pack the example manifests here.
  "$R" pack bundle "$OLDPWD/manifests" --allow-dirty >/dev/null
fi
rm -rf keys trusted && mkdir keys trusted
echo "\$ referee keygen keys/author        # a demo key, made on the spot"
"$R" keygen keys/author --no-passphrase
printf 'demo reviewer passphrase\n' > keys/reviewer.pass
echo "\$ referee keygen keys/reviewer --passphrase-file keys/reviewer.pass"
"$R" keygen keys/reviewer --passphrase-file keys/reviewer.pass
echo "\$ referee sign bundle --key keys/author.key"
"$R" sign bundle --key keys/author.key
echo "\$ referee sign bundle --key keys/reviewer.key --trust keys/author.pub   # countersign"
"$R" sign bundle --key keys/reviewer.key --passphrase-file keys/reviewer.pass \
  --trust keys/author.pub
cp keys/author.pub keys/reviewer.pub trusted/
echo "\$ referee verify bundle --trust trusted --min-signatures 2"
"$R" verify bundle --trust trusted --min-signatures 2
echo "\$ referee verify bundle --trust keys/author.pub --min-signatures 2   # reviewer's key not trusted"
set +e
"$R" verify bundle --trust keys/author.pub --min-signatures 2
status=$?
set -e
echo "(exit $status: only one of the two signatures is from a trusted key)"
[ "$status" -eq 1 ]
