#!/usr/bin/env bash
# tests/book.sh: builds the offline book (tools/book/build.sh) and checks every page in a
# real browser, headless Chromium (Debian's chromium package). A page fails when
#   - an image does not load (its natural width is 0 once the page has loaded),
#   - raw TeX ("$$", "\frac", ...) shows in the rendered text instead of typeset maths,
#   - a link inside the book (or to a file of the repository) points nowhere, a fragment
#     (#section) included,
#   - the page has a console error (a script error, or a resource that failed to load).
# It also takes a screenshot of each page into build/book-screenshots/, to look at.
# Run by .ci/run, and by ./tutorial test (through ctest) when chromium and pandoc exist.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BOOK=${1:-$ROOT/build/book-test}
SHOTS=$(dirname "$BOOK")/book-screenshots
CHROMIUM=${CHROMIUM:-chromium}
command -v "$CHROMIUM" >/dev/null || { echo "book: error: $CHROMIUM not found" >&2; exit 1; }
command -v python3 >/dev/null || { echo "book: error: python3 not found" >&2; exit 1; }

bash "$ROOT/tools/book/build.sh" "$BOOK" >/dev/null
BOOK=$(cd "$BOOK" && pwd)  # file:// needs an absolute path
mkdir -p "$SHOTS"
profile=$(mktemp -d "${TMPDIR:-/tmp}/nn-book-chromium.XXXXXX")
trap 'rm -rf "$profile"' EXIT

# Chromium as the machine's probe starts it: no sandbox as root, and none of the background
# connections a closed network would refuse.
browser() {
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --user-data-dir="$profile" --allow-file-access-from-files \
    --enable-logging=stderr --v=0 "$@"
}

passes=0 failures=0
for page in "$BOOK"/*.html; do
  name=$(basename "$page" .html)
  # The page's own check (check.js), read back from the DOM Chromium dumps once loaded.
  browser --virtual-time-budget=10000 --dump-dom "file://$page?check" \
    >"$profile/$name.dom" 2>"$profile/$name.log" || true
  browser --window-size=1280,2400 --hide-scrollbars --screenshot="$SHOTS/$name.png" \
    "file://$page" >/dev/null 2>&1 || true
  if python3 - "$page" "$profile/$name.dom" "$profile/$name.log" <<'PY'; then
import html.parser, json, os, re, sys, urllib.parse
page, dom_path, log_path = sys.argv[1:]
book = os.path.dirname(page)
problems = []

dom = open(dom_path, encoding="utf-8", errors="replace").read()
m = re.search(r'<pre id="book-check">(.*?)</pre>', dom, re.S)
if not m:
    problems.append("the page's check did not run (no #book-check in the DOM)")
else:
    import html as h
    r = json.loads(h.unescape(m.group(1)))
    for src in r["broken_images"]: problems.append("image did not load: " + src)
    for text in r["raw_math"]: problems.append("raw TeX in the text: " + text)
    for e in r["errors"]: problems.append("error: " + e)
# Console errors Chromium logged (level ERROR or a failed load).
for line in open(log_path, encoding="utf-8", errors="replace"):
    if "CONSOLE" in line and ("ERROR" in line or "Failed to load" in line):
        problems.append("console: " + line.strip()[:200])

# Links and images: every relative target exists; a fragment names an id on its page.
class Refs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.refs = []; self.ids = set()
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a: self.ids.add(a["id"])
        for key in ("href", "src"):
            if key in a and a[key] is not None: self.refs.append(a[key])
ids_cache = {}
def ids_of(path):
    if path not in ids_cache:
        p = Refs(); p.feed(open(path, encoding="utf-8").read()); ids_cache[path] = p.ids
    return ids_cache[path]
parser = Refs(); parser.feed(open(page, encoding="utf-8").read())
for ref in parser.refs:
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", ref): continue  # https:, mailto:
    path, _, fragment = ref.partition("#")
    target = page if path == "" else os.path.normpath(os.path.join(book, urllib.parse.unquote(path)))
    if not os.path.exists(target):
        problems.append("link to nothing: " + ref); continue
    if fragment and target.endswith(".html") and fragment not in ids_of(target):
        problems.append("link to a missing section: " + ref)

if problems:
    print("FAIL: " + os.path.basename(page))
    for p in problems[:20]: print("  " + p)
    sys.exit(1)
print("ok:   %s (%d images, %d maths)" % (os.path.basename(page), r["images"], r["maths"]))
PY
    passes=$((passes + 1))
  else
    failures=$((failures + 1))
  fi
done
echo "Screenshots of every page: $SHOTS/"
echo "book: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
