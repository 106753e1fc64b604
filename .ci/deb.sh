#!/bin/sh
# Build referee's .deb from an installed tree (make deb installs into it):
# writes DEBIAN/control, with the run-time dependencies found from the
# libraries the binary and the shared library link (dpkg -S), then
# dpkg-deb --build.  Usage: .ci/deb.sh ROOT VERSION OUTDIR
set -eu
root=$1 version=$2 out=$3
arch=$(dpkg --print-architecture)
# Debian packages of the shared libraries linked directly (NEEDED), e.g.
# libssl3, libgit2-1.5: each found through ldd, then dpkg -S
needed() { for f in "$@"; do
  for lib in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    ldd "$f" | awk -v l="$lib" '$1 == l && $3 ~ /^\// { print $3 }'
  done
done; }
deps=$(needed "$root/usr/bin/referee" "$root"/usr/lib/libreferee.so.*.*.* | sort -u |
  while read -r lib; do dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null; done |
  cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g')
size=$(du -sk "$root" | cut -f1)
mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: referee
Version: $version
Section: science
Priority: optional
Architecture: $arch
Maintainer: referee maintainers <referee@localhost>
Installed-Size: $size
Depends: ${deps:-libc6}
Description: reproducible, peer-reviewable ML results
 Package the evidence behind a paper's figures as a signed BagIt bundle,
 and let reviewers and CI check it: integrity, signatures, claims
 recomputed from the evidence, rule-based re-scoring, GRPO replays.
 Includes the referee program, libreferee (shared and static), its
 headers, pkg-config file, man pages and bash completion.
CONTROL
deb="$out/referee_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
