#!/usr/bin/env bash
# review --html in a real browser: headless Chromium renders the page (no
# network: the page must stand alone), a screenshot must not be blank, and
# the rendered text must carry the verdicts.  Skipped, saying why, only where
# Chromium is not installed (make deps installs Debian's chromium).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

CHROMIUM=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$CHROMIUM" ]; then
  skip "HTML report in headless Chromium" "chromium is not installed (make deps installs it)"
  done_testing
fi
browser() { # ARGS...: headless, sandbox-free (CI runs as root), no network
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --no-first-run --disable-extensions --proxy-server=127.0.0.1:9 \
    --user-data-dir="$T/chromium-profile" "$@" 2>/dev/null
}

mkdir -p src/v3 src/replay
cp "$REPO_DIR"/manifests/deepseek-v3/*.yaml src/v3/
cp "$REPO_DIR"/manifests/deepseek-r1/*.yaml src/
"$REFEREE" replay "$REPO_DIR/manifests/tiny-grpo/test.yaml" --out src/replay/run --quiet >/dev/null 2>&1
(cd src && "$REFEREE" pack -q --allow-dirty "$T/bag" . >/dev/null 2>&1)
run "$REFEREE" review --no-hw bag --html review.html
if [ "$rc" -eq 1 ]; then ok "review of a bag with R1's inconsistent pair: exit 1"
else not_ok "review of a bag with R1's inconsistent pair: exit 1" "exit $rc" "$(head -c 600 "$T/err")"; fi

browser --window-size=1200,1600 --screenshot="$T/shot.png" "file://$T/review.html"
if [ -s shot.png ]; then
  read -r w h inked colours < <(python3 "$TESTS_DIR/py/png_stats.py" shot.png)
  if awk -v f="$inked" -v c="$colours" 'BEGIN { exit !(f > 0.02 && c > 16) }'; then
    ok "the screenshot is not blank (${inked} of it inked, ${colours} colours)"
  else
    not_ok "the screenshot is not blank" "inked fraction $inked, $colours colours"
  fi
else
  not_ok "chromium took a screenshot"
fi
# A blank page must fail that check (the check can fail).
printf '<!DOCTYPE html><html><body></body></html>' > blank.html
browser --window-size=400,300 --screenshot="$T/blank.png" "file://$T/blank.html"
read -r w h inked colours < <(python3 "$TESTS_DIR/py/png_stats.py" blank.png)
if awk -v f="$inked" 'BEGIN { exit !(f == 0) }'; then ok "a blank page reads as blank"
else not_ok "a blank page reads as blank" "inked $inked"; fi

browser --dump-dom "file://$T/review.html" > dom.html
python3 - "$T/dom.html" > text.txt <<'PY'
import html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.out = []
    def handle_data(self, d): self.out.append(d)
p = P(); p.feed(open(sys.argv[1]).read()); print(" ".join(" ".join(p.out).split()))
PY
expect_true "the page's text has the verdict at the top" grep -q "referee review .* Verdict: FAIL · exit 1" text.txt
expect_true "the page's text has the claims' verdicts" sh -c 'grep -q "CONFIRMED" text.txt && grep -q "INCONSISTENT" text.txt'
expect_true "the page's text has the replay's verdict" grep -q "re-run agrees with the author" text.txt
expect_true "the replay curves are drawn (SVG polylines)" sh -c '[ "$(grep -o "<polyline" dom.html | wc -l)" -ge 4 ]'
expect_true "the derivations are expandable" grep -q "<details>" dom.html
done_testing
