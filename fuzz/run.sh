#!/usr/bin/env bash
# fuzz/run.sh [SECONDS]: fuzz the IDX reader (common/idx.cpp) for SECONDS (default 60).
#
# Builds the libFuzzer target fuzz/idx_fuzzer.cpp with clang++ and AddressSanitizer +
# UndefinedBehaviorSanitizer into build/fuzz/, writes the seed corpus with
# fuzz/make_corpus.cpp, then runs the fuzzer. Exits 0 when nothing was found, non-zero
# (with the crashing input saved in build/fuzz/findings/) when something was.
# Works from any folder. Needs: clang, libclang-rt-14-dev, libarmadillo-dev, zlib1g-dev.
set -euo pipefail

die() { printf 'fuzz/run.sh: error: %s\n' "$*" >&2; exit 1; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${1:-60}
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "SECONDS must be a whole number > 0, not '$DURATION'"

CXX=${FUZZ_CXX:-clang++}
command -v "$CXX" >/dev/null ||
  die "$CXX not found: libFuzzer comes with clang (apt-get install clang libclang-rt-14-dev)"

OUT=$ROOT/build/fuzz
mkdir -p "$OUT/corpus" "$OUT/seeds" "$OUT/findings"

# The same warnings as the rest of the project, as errors: this code is built only here.
WARNINGS=(-Wall -Wextra -Wpedantic -Wshadow -Werror)

echo "== building the fuzz target ($CXX, ASan + UBSan + libFuzzer) into $OUT"
"$CXX" -std=c++20 -O1 -g "${WARNINGS[@]}" -I"$ROOT" \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -fno-omit-frame-pointer \
  "$ROOT/fuzz/idx_fuzzer.cpp" "$ROOT/common/idx.cpp" -o "$OUT/idx_fuzzer" \
  -larmadillo -lz ||
  die "building the fuzz target failed (see above). If the linker cannot find" \
      "libclang_rt.fuzzer, install libclang-rt-14-dev."

"$CXX" -std=c++20 -O1 "${WARNINGS[@]}" "$ROOT/fuzz/make_corpus.cpp" -o "$OUT/make_corpus" ||
  die "building the corpus maker failed (see above)"
rm -f "$OUT/seeds"/*
"$OUT/make_corpus" "$OUT/seeds"

# build/fuzz/corpus keeps what earlier runs found interesting (libFuzzer adds new inputs
# to the first folder); build/fuzz/seeds is rewritten each time.
echo "== fuzzing the IDX reader for $DURATION s"
status=0
"$OUT/idx_fuzzer" "$OUT/corpus" "$OUT/seeds" \
  -max_total_time="$DURATION" \
  -max_len=4096 \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -dict="$ROOT/fuzz/idx.dict" \
  -artifact_prefix="$OUT/findings/" \
  -print_final_stats=1 || status=$?

if [ "$status" -ne 0 ]; then
  echo "fuzz/run.sh: the fuzzer found a problem (exit $status). The input is in" \
       "$OUT/findings/; replay it with: $OUT/idx_fuzzer $OUT/findings/<file>" >&2
  exit "$status"
fi
echo "== no findings in $DURATION s"
