#!/bin/sh
# Write the man pages from the program's own help: referee(1) from
# `referee --help`, referee-VERB(1) from `referee VERB --help`, so that a
# page says exactly what --help says.  `make man` runs this; the suite
# (tests/cli/test_man.sh) regenerates the pages and fails when the committed
# ones differ, so run `make man` after changing a verb's help or adding one.
# Usage: cmd/man/generate.sh REFEREE OUTDIR
set -eu
REFEREE=$1
OUT=$2
mkdir -p "$OUT"

# roff-safe text: backslashes, leading dots and quotes, hyphens as minus
roff() { sed -e 's/\\/\\e/g' -e 's/^\([.'"'"']\)/\\\&\1/' -e 's/-/\\-/g'; }

verbs=$("$REFEREE" --help | awk '/^verbs:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
summary() { "$REFEREE" --help | awk -v v="$1" '/^verbs:/ { on = 1; next } on && $1 == v { $1 = ""; sub(/^ +/, ""); print; exit }'; }

for v in $verbs; do
  help=$("$REFEREE" "$v" --help)
  {
    printf '.TH REFEREE\\-%s 1 "" "referee" "referee manual"\n' "$(echo "$v" | tr a-z A-Z)"
    printf '.SH NAME\nreferee\\-%s \\- %s\n' "$v" "$(summary "$v" | roff)"
    printf '.SH SYNOPSIS\n.nf\n'
    # the usage lines: up to the first blank line, "usage: " dropped
    printf '%s\n' "$help" | awk 'NR == 1 { sub(/^usage: /, "") } /^$/ { exit } { print }' | roff
    printf '.fi\n.SH DESCRIPTION\n.nf\n'
    printf '%s\n' "$help" | awk 'seen { print; next } /^$/ { seen = 1 }' | roff
    printf '.fi\n.SH SEE ALSO\n.BR referee (1)\n'
  } > "$OUT/referee-$v.1"
done

{
  printf '.TH REFEREE 1 "" "referee" "referee manual"\n'
  printf '.SH NAME\nreferee \\- reproducible, peer\\-reviewable ML results\n'
  printf '.SH SYNOPSIS\n.nf\nreferee <verb> [options] [args]\nreferee \\-\\-version\n.fi\n'
  printf '.SH DESCRIPTION\n.nf\n'
  "$REFEREE" --help | awk 'NR > 1 && !(/^$/ && NR == 2) { print }' | roff
  printf '.fi\n.SH SEE ALSO\n'
  n=0
  for v in $verbs; do
    n=$((n + 1))
    [ "$n" -gt 1 ] && printf ',\n'
    printf '.BR referee\\-%s (1)' "$v"
  done
  printf '\n'
} > "$OUT/referee.1"
