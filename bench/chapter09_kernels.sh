#!/bin/bash
# bench/chapter09_kernels.sh: the ranges chapter 09's text quotes and its test checks.
#
#   bash bench/chapter09_kernels.sh [SEEDS...] [-- BUILD_DIR]   (defaults: seed 42, build/release)
#
# Runs chapter 09 with --final under each of the four OpenBLAS kernels (Nehalem, Sandybridge,
# Haswell, SkylakeX; Nehalem is SSE-only) for each seed, one run after the other, each into
# BUILD_DIR/bench/chapter09/KERNEL-sSEED/ (its output as run.log, its figures' CSVs), and
# summarize_chapter09.py prints the ranges: validation and test accuracy, recall, the
# validation confusion matrix's families, and the spread between kernels of what the
# chapter's test compares with the reference figures. A run takes 15 s to a minute, so the
# default (4 runs) a few minutes and seeds 42 1 2 3 4 5 (24 runs) up to half an hour.
set -euo pipefail
seeds=()
build=build/release
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then build=${2:?"chapter09_kernels.sh: -- needs a build folder"}; break; fi
  seeds+=("$1")
  shift
done
[ ${#seeds[@]} -gt 0 ] || seeds=(42)
here=$(cd "$(dirname "$0")" && pwd)
chapter="$build/chapters/09_fashion_mnist"
[ -x "$chapter" ] || {
  echo "chapter09_kernels.sh: $chapter not found; build first (./tutorial 09)" >&2
  exit 1
}
out="$build/bench/chapter09"
mkdir -p "$out"
for seed in "${seeds[@]}"; do
  for kernel in Nehalem Sandybridge Haswell SkylakeX; do
    dir="$out/$kernel-s$seed"
    mkdir -p "$dir"
    echo "chapter 09, kernel $kernel, seed $seed" >&2
    OPENBLAS_CORETYPE=$kernel NN_GNUPLOT=/nonexistent/gnuplot "$chapter" --final \
      --seed "$seed" --out "$dir" --save "$dir/model.nnm" > "$dir/run.log" 2>&1
  done
done
/usr/bin/python3 "$here/summarize_chapter09.py" "$out"
