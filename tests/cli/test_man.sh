#!/usr/bin/env bash
# The man pages (cmd/man/*.1) say what each verb's --help says: regenerated from
# the program and compared with the committed ones, so they cannot drift.
# When this fails after a change to a verb's help, or a new verb: make man.
. "$(dirname "$0")/lib.sh"

sh "$REPO_DIR/cmd/man/generate.sh" "$REFEREE" "$T/man" >/dev/null 2>&1
verbs=$("$REFEREE" --help | awk '/^verbs:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
[ -n "$verbs" ] && ok "the verbs are listed by referee --help" || not_ok "the verbs are listed by referee --help"
for v in $verbs; do
  if [ ! -f "$REPO_DIR/cmd/man/referee-$v.1" ]; then
    not_ok "man page referee-$v(1) exists" "no cmd/man/referee-$v.1: run 'make man' and commit it"
  elif ! diff -u "$REPO_DIR/cmd/man/referee-$v.1" "$T/man/referee-$v.1" > "$T/diff" 2>&1; then
    not_ok "referee-$v(1) matches 'referee $v --help'" "run 'make man' and commit cmd/man/" "$(head -20 "$T/diff")"
  else
    ok "referee-$v(1) matches 'referee $v --help'"
  fi
done
if diff -u "$REPO_DIR/cmd/man/referee.1" "$T/man/referee.1" > "$T/diff" 2>&1; then ok "referee(1) matches 'referee --help'"
else not_ok "referee(1) matches 'referee --help'" "run 'make man' and commit cmd/man/" "$(head -20 "$T/diff")"; fi
for f in "$REPO_DIR"/cmd/man/referee-*.1; do
  v=$(basename "$f" .1); v=${v#referee-}
  case " $(echo $verbs) " in *" $v "*) ;; *) not_ok "cmd/man/$(basename "$f") is a verb's page" "'$v' is no verb any more: remove it (make man does not)";; esac
done
# A changed help text must make the check fail (the check can fail).
sed 's/^Review a bundle/Look at a bundle/' "$T/man/referee-review.1" > "$T/changed.1"
if diff -q "$REPO_DIR/cmd/man/referee-review.1" "$T/changed.1" >/dev/null; then not_ok "a changed page differs"
else ok "a changed page differs"; fi
if command -v groff >/dev/null 2>&1; then
  for f in "$REPO_DIR"/cmd/man/*.1; do
    groff -man -Tutf8 -ww -z "$f" 2>"$T/groff.err"
    if [ -s "$T/groff.err" ]; then not_ok "$(basename "$f") renders without warnings" "$(head -5 "$T/groff.err")"
    else ok "$(basename "$f") renders without warnings"; fi
  done
else
  skip "man pages render" "no groff"
fi
done_testing
