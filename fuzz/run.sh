#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] [TARGET...]: fuzz each TARGET for SECONDS (default 60 s; default
# targets: all five, one after the other).
#
#   idx      the IDX reader (common/idx.cpp)                     fuzz/idx_fuzzer.cpp
#   model    the model-file reader, past its checksum            fuzz/model_fuzzer.cpp
#   pgm      the PGM reader (common/pgm.cpp)                     fuzz/pgm_fuzzer.cpp
#   predict  a model and an image, classified (common/classify)  fuzz/predict_fuzzer.cpp
#   photo    PNG (libpng), JPEG (libjpeg-turbo) and PGM photos,  fuzz/photo_fuzzer.cpp
#            then prepared (common/photo.cpp, common/prepare.cpp)
#
# Builds each libFuzzer target with clang++ and AddressSanitizer + UndefinedBehaviorSanitizer
# into build/fuzz/, writes its seed corpus (fuzz/make_corpus.cpp for idx,
# fuzz/make_seeds.cpp for the others), then runs it with one job. Exits 0 when nothing was
# found, non-zero (with the input saved in build/fuzz/findings/) when something was.
# Works from any folder. Needs: clang, libclang-rt-14-dev, libarmadillo-dev, zlib1g-dev,
# libpng-dev, libturbojpeg0-dev.
set -euo pipefail

die() { printf 'fuzz/run.sh: error: %s\n' "$*" >&2; exit 1; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${1:-60}
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "SECONDS must be a whole number > 0, not '$DURATION'"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(idx model pgm predict photo)
for t in "${TARGETS[@]}"; do
  case $t in
    idx | model | pgm | predict | photo) ;;
    *) die "unknown target '$t' (idx, model, pgm, predict or photo)" ;;
  esac
done

CXX=${FUZZ_CXX:-clang++}
command -v "$CXX" >/dev/null ||
  die "$CXX not found: libFuzzer comes with clang (apt-get install clang libclang-rt-14-dev)"

OUT=$ROOT/build/fuzz
mkdir -p "$OUT/findings"

# The same warnings as the rest of the project, as errors: this code is built only here.
WARNINGS=(-Wall -Wextra -Wpedantic -Wshadow -Werror)
# The library code each target needs (no chapter, no gnuplot).
LIBRARY=("$ROOT/common/idx.cpp" "$ROOT/common/input_file.cpp" "$ROOT/common/model_file.cpp"
         "$ROOT/common/pgm.cpp" "$ROOT/common/classify.cpp")
for target in "${TARGETS[@]}"; do
  echo "== building the $target fuzz target ($CXX, ASan + UBSan + libFuzzer) into $OUT"
  sanitizers=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
              -fno-omit-frame-pointer)
  objects=()
  if [ "$target" = photo ]; then
    # The decoders are Debian's libpng and libjpeg-turbo, linked as they are (not
    # instrumented: their own authors fuzz them, in OSS-Fuzz). What is checked here is
    # everything of ours around them, under ASan and UBSan.
    objects=("$ROOT/common/photo.cpp" "$ROOT/common/prepare.cpp"
             "$ROOT/common/atomic_write.cpp" -lpng -lturbojpeg)
  fi
  "$CXX" -std=c++20 -O1 -g "${WARNINGS[@]}" -I"$ROOT" \
    "${sanitizers[@]}" \
    "$ROOT/fuzz/${target}_fuzzer.cpp" "${LIBRARY[@]}" "${objects[@]}" \
    -o "$OUT/${target}_fuzzer" -larmadillo -lz ||
    die "building the $target fuzz target failed (see above). If the linker cannot find" \
        "libclang_rt.fuzzer, install libclang-rt-14-dev."

  # build/fuzz/corpus-TARGET keeps what earlier runs found interesting (libFuzzer adds new
  # inputs to the first folder); build/fuzz/seeds-TARGET is rewritten each time.
  seeds=$OUT/seeds-$target
  mkdir -p "$OUT/corpus-$target" "$seeds"
  rm -f "$seeds"/*
  extra=()
  if [ "$target" = idx ]; then
    "$CXX" -std=c++20 -O1 "${WARNINGS[@]}" "$ROOT/fuzz/make_corpus.cpp" -o "$OUT/make_corpus" ||
      die "building the corpus maker failed (see above)"
    "$OUT/make_corpus" "$seeds"
    extra=(-dict="$ROOT/fuzz/idx.dict" -max_len=4096)
  else
    if [ ! -x "$OUT/make_seeds" ] || [ "$ROOT/fuzz/make_seeds.cpp" -nt "$OUT/make_seeds" ]; then
      "$CXX" -std=c++20 -O1 "${WARNINGS[@]}" -I"$ROOT" \
        "$ROOT/fuzz/make_seeds.cpp" "$ROOT/common/model_file.cpp" -o "$OUT/make_seeds" \
        -larmadillo -lz -lpng -lturbojpeg ||
        die "building the seed maker failed (see above)"
    fi
    "$OUT/make_seeds" "$target" "$seeds"
    # Models of a few dozen parameters and small images are where the bugs are; a
    # 28 x 28 image (784 bytes) and a small model still fit in 8 KB.
    extra=(-max_len=8192)
  fi

  echo "== fuzzing $target for $DURATION s"
  status=0
  "$OUT/${target}_fuzzer" "$OUT/corpus-$target" "$seeds" \
    -max_total_time="$DURATION" \
    -timeout=10 \
    -rss_limit_mb=2048 \
    "${extra[@]}" \
    -artifact_prefix="$OUT/findings/$target-" \
    -print_final_stats=1 || status=$?
  if [ "$status" -ne 0 ]; then
    echo "fuzz/run.sh: the $target fuzzer found a problem (exit $status). The input is in" \
         "$OUT/findings/; replay it with: $OUT/${target}_fuzzer $OUT/findings/<file>" >&2
    exit "$status"
  fi
  echo "== $target: no findings in $DURATION s"
done
