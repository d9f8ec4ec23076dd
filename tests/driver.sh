#!/usr/bin/env bash
# tests/driver.sh: the README's first command, run as a reader runs it, again and again.
#
# In a fresh clone of this repository's HEAD (in a temporary folder, removed afterwards):
#   1. ./tutorial succeeds, twice in a row, and leaves `git status` clean (the reference
#      figures in plots/ are never rewritten by a reader's run);
#   2. chapters 01-08 draw exactly the reference's numbers (their arithmetic does not
#      depend on the CPU);
#   3. ./tutorial 09 succeeds after that (nothing a chapter saved trips the chapter lookup);
#   4. a bad flag gets the chapter's one error line and its exit code 2, nothing more;
#   5. an unknown chapter number names the real chapters and nothing else.
# Run by .ci/run; takes a few minutes (one build of the chapters, three runs of them).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nn-driver-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
passes=0 failures=0
fail() { printf 'FAIL: %s\n' "$*" >&2; failures=$((failures + 1)); }
pass() { printf 'ok:   %s\n' "$*"; passes=$((passes + 1)); }

git clone -q "$ROOT" "$WORK/clone"
cd "$WORK/clone"

clean_tree() {  # clean_tree WHEN: git status shows nothing
  local status
  status=$(git status --porcelain)
  if [ -z "$status" ]; then pass "git status is clean $1"; else
    fail "git status is not clean $1:"; printf '%s\n' "$status" >&2; fi
}

for run in 1 2; do
  if ./tutorial >"$WORK/run$run.log" 2>&1; then pass "./tutorial, run $run, exits 0"; else
    fail "./tutorial, run $run, exits $?"; tail -n 30 "$WORK/run$run.log" >&2; fi
  clean_tree "after ./tutorial, run $run"
done

chapters=$(cat build/release/chapters.list)
[ "$(echo "$chapters" | grep -c .)" -ge 9 ] && pass "the build lists the chapters" ||
  fail "build/release/chapters.list: '$chapters'"
for chapter in $(echo "$chapters" | grep -E '^0[1-8]_'); do
  grep -A4 "== Chapter $chapter" "$WORK/run2.log" >/dev/null || fail "$chapter did not run"
done
# The driver prints "Reference: plots/NAME/ ..." and, when every CSV is the same, "All N
# figures have exactly the reference's numbers." on the next line.
exact=$(grep -B1 "^All [0-9]* figures have exactly the reference's numbers" "$WORK/run2.log" |
  grep -oE '^Reference: +plots/0[1-8]_' | sort -u | wc -l)
if [ "$exact" -eq 8 ]; then pass "chapters 01-08 drew exactly the reference's numbers"
else fail "only $exact of chapters 01-08 drew exactly the reference's numbers:"
  grep -E "^(== Chapter|[0-9]+ of [0-9]+ figures)" "$WORK/run2.log" >&2 || true; fi

if ./tutorial 09 >"$WORK/run09.log" 2>&1; then pass "./tutorial 09 after two full runs exits 0"
else fail "./tutorial 09 exits $?"; tail -n 30 "$WORK/run09.log" >&2; fi
clean_tree "after ./tutorial 09"

status=0
./tutorial 01 --bias abc >"$WORK/bad.out" 2>"$WORK/bad.err" || status=$?
if [ $status -eq 2 ] && [ "$(wc -l <"$WORK/bad.err")" -eq 1 ] &&
  ! grep -q "^tutorial: error" "$WORK/bad.err"; then
  pass "./tutorial 01 --bias abc: the chapter's one line, exit 2"
else fail "./tutorial 01 --bias abc: exit $status, stderr:"; cat "$WORK/bad.err" >&2; fi

status=0
./tutorial 99 >/dev/null 2>"$WORK/99.err" || status=$?
if [ $status -ne 0 ] && grep -q "01_neuron" "$WORK/99.err" && ! grep -q "\.nnm" "$WORK/99.err"
then pass "./tutorial 99 names the chapters, and only them"
else fail "./tutorial 99: exit $status, stderr:"; cat "$WORK/99.err" >&2; fi

echo "driver: $passes passed, $failures failed"
[ $failures -eq 0 ]
