#!/usr/bin/env bash
# model weights: OpenSSF Model Signing of the replay's weights, the weights
# bound to a signed bundle by their digest and left out of it by reference
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${REFEREE:=$PWD/build/referee}" "${DEMO_DIR:=$PWD/build/demo}"
D=$DEMO_DIR/model
rm -rf "$D"; mkdir -p "$D/weights"
# a stand-in model folder: the replay's checkpoint when the demo made one
if ls "$DEMO_DIR"/replay/run/*.safetensors >/dev/null 2>&1; then
  cp "$DEMO_DIR"/replay/run/*.safetensors "$D/weights/"
else
  head -c 100000 /dev/urandom > "$D/weights/model.safetensors"
fi
echo '{"n_layer": 2}' > "$D/weights/config.json"
"$REFEREE" keygen "$D/release" --type ecdsa-p256 --no-passphrase >/dev/null 2>&1
echo "\$ referee model sign $D/weights --key $D/release.key"
"$REFEREE" model sign "$D/weights" --key "$D/release.key"
echo "\$ referee model verify $D/weights --signature $D/weights/model.sig --trust $D/release.pub"
"$REFEREE" model verify "$D/weights" --signature "$D/weights/model.sig" --trust "$D/release.pub"
echo
echo "# a bundle that names the weights by their OMS digest and ships them by reference:"
mkdir -p "$D/evidence"; echo "see the paper" > "$D/evidence/README"
cp -r "$D/weights" "$D/evidence/weights"
"$REFEREE" keygen "$D/author" --no-passphrase >/dev/null 2>&1
# (the scratch evidence folder sits in this checkout's ignored build/, not in
# a commit, hence --allow-dirty; an author packs committed files)
echo "\$ referee pack $D/bag $D/evidence --allow-dirty --model $D/weights --sign author.key --by-reference '*.safetensors=https://example.org/weights/'"
"$REFEREE" pack "$D/bag" "$D/evidence" --allow-dirty --model "$D/weights" --sign "$D/author.key" \
  --by-reference '*.safetensors=https://example.org/weights/'
echo "\$ cat $D/bag/fetch.txt"
cat "$D/bag/fetch.txt"
echo "# the reviewer downloads the weights (here: they are in $D/evidence) and checks them:"
echo "\$ referee verify $D/bag --trust author.pub --fetched $D --model $D/weights"
"$REFEREE" verify "$D/bag" --trust "$D/author.pub" --fetched "$D" --model "$D/weights"
