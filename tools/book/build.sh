#!/usr/bin/env bash
# tools/book/build.sh [OUT]: the tutorial as an offline book, in OUT (default build/book/).
#
# The Markdown stays the single source: README.md becomes index.html and each
# chapters/NN_name/README.md becomes NN_name.html, converted by pandoc with
#   - the maths as MathML (--mathml), which browsers render natively: no script, no network;
#   - the code listings highlighted by pandoc itself;
#   - links rewritten to work inside the book (tools/book/links.lua);
#   - a list of the chapters on every page, a table of contents, previous/next links.
# The reference figures are copied into OUT/plots/. compare.html shows each of your figures
# (build/$NN_PRESET/output/, drawn by ./tutorial) beside its reference.
# Open OUT/index.html with any browser, from the file system. Needs: pandoc.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-$ROOT/build/book}
PRESET=${NN_PRESET:-release}
BOOK=$ROOT/tools/book
command -v pandoc >/dev/null ||
  { echo "tools/book/build.sh: error: pandoc is missing (apt-get install pandoc)" >&2; exit 1; }
cd "$ROOT"

# The pages in reading order: source, html, title (the source's first heading).
sources=(README.md)
for dir in chapters/[0-9][0-9]_*/; do
  [ -f "$dir/README.md" ] && sources+=("${dir}README.md")
done
html_of() { case $1 in README.md) echo index.html ;; *) basename "$(dirname "$1")" | sed 's/$/.html/' ;; esac; }
title_of() { sed -n 's/^# //p;T;q' "$1"; }

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# Links to the repository's own files (a header, bench/README.md) go through this path.
REPO_ROOT=$(realpath --relative-to="$OUT" "$ROOT")/
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nn-book.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The chapter list, with the current page marked (one copy per page).
nav_for() {
  local current=$1 src
  echo '<a class="book-title" href="index.html">Neural Network from scratch</a><ol>'
  for src in "${sources[@]:1}"; do
    local html cls=""
    html=$(html_of "$src")
    [ "$html" = "$current" ] && cls=' class="current"'
    printf '<li%s><a href="%s">%s</a></li>\n' "$cls" "$html" \
      "$(title_of "$src" | sed 's/^Chapter [0-9]*: //; s/^./\U&/; s/&/\&amp;/g; s/</\&lt;/g')"
  done
  local cls=""
  [ "$current" = compare.html ] && cls=' class="current"'
  printf '</ol><p><a%s href="compare.html">Your figures beside the reference</a></p>\n' "$cls"
}

convert() {  # convert SOURCE HTML SOURCE_DIR PREV PREV_TITLE NEXT NEXT_TITLE [pandoc args]
  local src=$1 html=$2 dir=$3 prev=$4 prev_title=$5 next=$6 next_title=$7
  shift 7
  nav_for "$html" >"$tmp/nav.html"
  pandoc "$src" -f gfm+tex_math_dollars -t html5 --standalone --mathml \
    --template "$BOOK/template.html" --lua-filter "$BOOK/links.lua" \
    --highlight-style pygments \
    --metadata source-dir="$dir" --metadata repo-root="$REPO_ROOT" --metadata pagetitle="$(title_of "$src")" \
    --variable nav="$(cat "$tmp/nav.html")" \
    ${prev:+--variable prev="$prev" --variable prev-title="$prev_title"} \
    ${next:+--variable next="$next" --variable next-title="$next_title"} \
    "$@" -o "$OUT/$html"
}

n=${#sources[@]}
for ((i = 0; i < n; i++)); do
  src=${sources[$i]} prev="" prev_title="" next="" next_title="" toc=()
  if [ "$i" -gt 0 ]; then prev=$(html_of "${sources[$((i - 1))]}"); prev_title=$(title_of "${sources[$((i - 1))]}"); fi
  if [ "$i" -lt $((n - 1)) ]; then next=$(html_of "${sources[$((i + 1))]}"); next_title=$(title_of "${sources[$((i + 1))]}"); fi
  [ "$i" -gt 0 ] && toc=(--toc --toc-depth 2)
  dir=$(dirname "$src"); [ "$dir" = . ] && dir=""
  convert "$src" "$(html_of "$src")" "$dir" "$prev" "$prev_title" "$next" "$next_title" "${toc[@]}"
done

# The reference figures, inside the book so that it can be copied anywhere.
rm -rf "$OUT/plots"
mkdir -p "$OUT/plots"
for dir in plots/*/; do
  mkdir -p "$OUT/$dir"
  cp "$dir"*.png "$OUT/$dir" 2>/dev/null || true
done
cp "$BOOK/book.css" "$BOOK/check.js" "$OUT/"

# compare.html: for every reference figure, yours beside it (or how to draw yours).
{
  echo "# Your figures beside the reference"
  echo
  echo "On the left, the reference figure that the chapter's text shows (\`plots/NN_name/\`);"
  echo "on the right, the one your last run drew (\`build/$PRESET/output/NN_name/\`), as it"
  echo "was when this book was built. Run \`./tutorial\` (or \`./tutorial NN\`), then"
  echo "\`./tutorial book\` again to refresh this page. The driver also says, after each"
  echo "chapter, which of your figures have exactly the reference's numbers."
  for src in "${sources[@]:1}"; do
    chapter=$(basename "$(dirname "$src")")
    echo
    echo "## [$(title_of "$src")]($src)"
    for png in plots/"$chapter"/*.png; do
      [ -e "$png" ] || continue
      name=$(basename "$png")
      mine=build/$PRESET/output/$chapter/$name
      echo
      echo "<div class=\"pair\"><div><p>reference: $name</p><img src=\"$png\" alt=\"reference $name\"></div>"
      if [ -f "$mine" ]; then
        echo "<div><p>yours</p><img src=\"$mine\" alt=\"your $name\"></div></div>"
      else
        echo "<div class=\"missing\">not drawn yet: run <code>./tutorial ${chapter%%_*}</code></div></div>"
      fi
    done
  done
} >"$tmp/compare.md"
convert "$tmp/compare.md" compare.html "" "" "" "" ""
sed -i 's/<main>/<main class="wide">/' "$OUT/compare.html"

echo "The book is in $OUT/ ($((n + 1)) pages): open $OUT/index.html in a browser."
