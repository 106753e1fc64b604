#!/usr/bin/env bash
# The bundle: an author packs the evidence into a BagIt bag; a reviewer verifies it
# Packs the example manifests under manifests/ (whatever examples are there)
# into $DEMO_DIR/bundle with git provenance, verifies it, cross-checks it
# with sha256sum, and shows that a flipped byte is caught.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${REFEREE:=$PWD/build/referee}"
: "${DEMO_DIR:=$PWD/build/demo}"
mkdir -p "$DEMO_DIR"
say() { printf '\n$ %s\n' "$*"; }

# The examples: every folder of manifests/ but the demo itself.
examples=()
for d in manifests/*/; do
  case "$d" in manifests/demo.d/) continue ;; esac
  examples+=("${d%/}")
done
[ ${#examples[@]} -gt 0 ] || examples=(manifests/README.md)

bundle="$DEMO_DIR/bundle"
rm -rf "$bundle"
say referee pack --source-organization "'referee demo'" "$bundle" "${examples[@]}"
if ! "$REFEREE" pack --source-organization "referee demo" \
      --external-description "example evidence for a peer-reviewed ML paper" \
      "$bundle" "${examples[@]}" 2>"$DEMO_DIR/pack.err"; then
  cat "$DEMO_DIR/pack.err"
  echo "(the examples have uncommitted changes here: packing them anyway, recorded as dirty)"
  say referee pack --allow-dirty ...
  "$REFEREE" pack --allow-dirty --source-organization "referee demo" \
    --external-description "example evidence for a peer-reviewed ML paper" \
    "$bundle" "${examples[@]}"
fi

echo
echo "the bundle's top level:"
(cd "$bundle" && ls -1p | sed 's/^/  /')
echo "  $(wc -l < "$bundle/manifest-sha256.txt") payload files under data/"

say "head -3 $bundle/manifest-sha256.txt"
head -3 "$bundle/manifest-sha256.txt"

say referee verify "$bundle"
"$REFEREE" verify "$bundle"

if git rev-parse --git-dir >/dev/null 2>&1; then
  say referee verify --repo . "$bundle"
  "$REFEREE" verify --repo . "$bundle" || echo "(exit $?: the packed files differ from the committed ones)"
fi

say "(cd $bundle && sha256sum -c --strict --quiet manifest-sha256.txt)"
(cd "$bundle" && sha256sum -c --strict --quiet manifest-sha256.txt) && echo "sha256sum agrees: every payload file matches"

# A reviewer's copy where one byte was changed in transit.
tampered="$DEMO_DIR/bundle-tampered"
rm -rf "$tampered" && cp -r "$bundle" "$tampered"
victim=$(cd "$tampered" && find data -type f | sort | head -1)
printf 'X' | dd of="$tampered/$victim" bs=1 seek=0 conv=notrunc 2>/dev/null
say referee verify "$tampered"
set +e
"$REFEREE" verify "$tampered"
status=$?
set -e
echo "(exit $status: a changed byte in '$victim' is caught)"
[ "$status" -eq 1 ]
