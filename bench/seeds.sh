#!/bin/bash
# bench/seeds.sh: the accuracy comparison of bench/README.md, "Accuracy compared with
# PyTorch".
#
#   bash bench/seeds.sh [FIRST] [LAST] [BUILD_DIR]     (defaults: seeds 1 to 30, build/release)
#
# For each seed, trains the C++ benchmark and the PyTorch script (1 thread each) from the
# same initial weights over the same batches, the C++ runs on CPU 0 and the PyTorch runs on
# CPU 1 at the same time (the speed does not matter here, only the accuracy). The lines go
# to BUILD_DIR/bench/seeds-cpp.txt and seeds-pytorch.txt, and summarize_seeds.py prints the
# paired comparison. About 4 minutes for 30 seeds on a 2-core machine.
set -euo pipefail
first=${1:-1}
last=${2:-30}
build=${3:-build/release}
here=$(cd "$(dirname "$0")" && pwd)
cpp="$build/bench/fmnist_mlp"
[ -x "$cpp" ] || { echo "seeds.sh: $cpp not found; build first (./tutorial bench)" >&2; exit 1; }
command -v taskset > /dev/null || { echo "seeds.sh: needs taskset (util-linux)" >&2; exit 1; }

for s in $(seq "$first" "$last"); do
  echo "$s $(taskset -c 0 "$cpp" --threads 1 --seed "$s" | tail -n 1)"
done > "$build/bench/seeds-cpp.txt" &
for s in $(seq "$first" "$last"); do
  echo "$s $(OPENBLAS_NUM_THREADS=1 taskset -c 1 /usr/bin/python3 "$here/fmnist_mlp.py" \
             --threads 1 --seed "$s" | tail -n 1)"
done > "$build/bench/seeds-pytorch.txt" &
wait
/usr/bin/python3 "$here/summarize_seeds.py" "$build/bench/seeds-cpp.txt" \
  "$build/bench/seeds-pytorch.txt"
