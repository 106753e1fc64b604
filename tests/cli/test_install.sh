#!/usr/bin/env bash
# make install and make deb: the binary, the library, headers, pkg-config
# file, man pages and bash completion land where they should; the .deb,
# unpacked into a temporary root, runs `referee --version` and the demo's
# verify step, and a program builds against its headers and library.
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
mk() { make -C "$REPO_DIR" --no-print-directory BUILD="$BUILD" CUDA=0 ${SANITIZE:+SANITIZE=$SANITIZE} "$@"; }
version=$("$REFEREE" --version | awk '{ print $2 }')

# --- make install into a staging root
if mk install PREFIX=/usr DESTDIR="$T/root" >"$T/install.log" 2>&1; then ok "make install DESTDIR"
else not_ok "make install DESTDIR" "$(tail -5 "$T/install.log")"; fi
for f in usr/bin/referee usr/lib/libreferee.a "usr/lib/libreferee.so.$version" usr/lib/pkgconfig/referee.pc \
         usr/include/referee/referee.h usr/include/referee/review.h usr/share/man/man1/referee.1 \
         usr/share/man/man1/referee-review.1 usr/share/bash-completion/completions/referee; do
  expect_true "installed: /$f" test -s "$T/root/$f"
done
n=$(ls "$T/root/usr/share/man/man1" | wc -l)
verbs=$("$REFEREE" --help | awk '/^verbs:/ { on = 1; next } on && /^  [a-z]/ { n++ } on && /^$/ { on = 0 } END { print n }')
[ "$n" -eq $((verbs + 1)) ] && ok "a man page per verb, and referee(1)" || not_ok "a man page per verb, and referee(1)" "$n pages for $verbs verbs"
if command -v man >/dev/null 2>&1; then
  expect_true "man renders the installed referee-review(1)" sh -c "MANPAGER=cat man -l '$T/root/usr/share/man/man1/referee-review.1' | grep -q -- '--budget DURATION'"
fi

# --- bash completion: verbs and a verb's options, read from the program
complete_words() { # WORDS...: what the completion offers for the last word
  bash --norc -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _referee; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$T/root/usr/share/bash-completion/completions/referee" "$@"
}
expect_true "completion: verbs" sh -c "$(declare -f complete_words); T='$T'; complete_words '$REFEREE' re | grep -qx review"
expect_true "completion: a verb's options" sh -c "$(declare -f complete_words); T='$T'; complete_words '$REFEREE' review --bu | grep -qx -- --budget"
expect_true "completion: --replay values" sh -c "$(declare -f complete_words); T='$T'; complete_words '$REFEREE' review --replay '' | grep -qx skip"

# --- make deb, unpacked into a temporary root
if mk deb >"$T/deb.log" 2>&1; then ok "make deb"; else not_ok "make deb" "$(tail -5 "$T/deb.log")"; fi
deb=$(ls "$REPO_DIR/$BUILD"/referee_"$version"_*.deb 2>/dev/null | head -1)
if [ -n "$deb" ] && dpkg-deb -x "$deb" "$T/debroot"; then
  ok "the .deb unpacks"
  expect_true "deb: control names the package and its library dependencies" \
    sh -c "dpkg-deb -f '$deb' Package Depends | grep -q '^Package: referee' && dpkg-deb -f '$deb' Depends | grep -q libyaml"
  for f in usr/bin/referee "usr/lib/libreferee.so.$version" usr/include/referee/referee.h \
           usr/lib/pkgconfig/referee.pc usr/share/man/man1/referee-review.1; do
    expect_true "deb holds /$f" test -s "$T/debroot/$f"
  done
  expect_exit "deb: referee --version runs" 0 "$T/debroot/usr/bin/referee" --version
  expect_out_match "deb: it is this version" "^referee $version$"
  expect_exit "deb: the demo's verify step (pack, verify, a flipped byte caught)" 0 \
    env REFEREE="$T/debroot/usr/bin/referee" DEMO_DIR="$T/demo" bash "$REPO_DIR/manifests/demo.d/10-bundle.sh"
  expect_out_match "deb: the demo verified the bundle" "bag '.*bundle': valid"
  # a program built against the package's headers, pkg-config file and library
  cat > "$T/hello.c" <<'C'
#include <stdio.h>
#include <referee/referee.h>
int main(void) { printf("%s\n", rf_version()); return 0; }
C
  pc="$T/debroot/usr/lib/pkgconfig"
  # a sanitizer build's library needs the sanitizer runtime in the program too
  san=""
  nm "$T/debroot/usr/lib/libreferee.a" 2>/dev/null | grep -q __asan_init && san="-fsanitize=address,undefined"
  sed -i "s|^prefix=.*|prefix=$T/debroot/usr|; s|^libdir=.*|libdir=$T/debroot/usr/lib|; s|^includedir=.*|includedir=$T/debroot/usr/include|" "$pc/referee.pc"
  if cc -o "$T/hello" "$T/hello.c" $(PKG_CONFIG_PATH="$pc" pkg-config --cflags referee) \
       "$T/debroot/usr/lib/libreferee.a" $(pkg-config --libs libgit2 openssl yaml-0.1 jansson) -lm -ldl -pthread \
       $san 2>"$T/cc.err"; then
    expect_exit "deb: a program builds against the headers and library" 0 "$T/hello"
    expect_out_match "deb: and calls it" "^$version$"
  else
    not_ok "deb: a program builds against the headers and library" "$(head -5 "$T/cc.err")"
  fi
else
  not_ok "the .deb unpacks" "no $REPO_DIR/$BUILD/referee_${version}_*.deb"
fi
done_testing
