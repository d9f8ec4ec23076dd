#!/bin/bash
# bench/cnn.sh: the FMNIST-CNN comparison of bench/README.md, in one command.
#
#   bash bench/cnn.sh [EPOCHS] [BUILD_DIR]        (defaults: 2 epochs, build/release)
#   THREADS="1 2" ROUNDS=1 bash bench/cnn.sh      (the defaults of the two variables)
#
# Builds bench/fmnist_cnn if needed (the release preset), then, for each round and each
# thread count in THREADS, runs the C++ benchmark and the PyTorch script back to back
# (C++ 1 thread, PyTorch 1 thread, C++ 2 threads, PyTorch 2 threads, ...), so a slow
# minute of the machine touches neighbours alike. Prints the load (uptime) before and
# after, and a side-by-side table in Markdown: seconds per epoch (wall, and CPU over all
# threads), CPU time over wall time (well below the thread count: something else was
# using the processor), the test accuracy after the epochs and the initial loss (the same
# on both sides: the same start).
# Each run's whole output goes to BUILD_DIR/bench/cnn-<round>-<name>.txt, the last lines to
# BUILD_DIR/bench/cnn.txt. Without PyTorch (Debian's python3-torch) only the C++ rows run.
set -euo pipefail
epochs=${1:-2}
build=${2:-build/release}
threads=${THREADS:-1 2}
rounds=${ROUNDS:-1}
here=$(cd "$(dirname "$0")" && pwd)
cpp="$build/bench/fmnist_cnn"

# Build if needed: configure the preset once, then let the build tool decide what is stale.
if [ ! -f "$build/CMakeCache.txt" ]; then
  [ "$build" = build/release ] ||
    { echo "cnn.sh: $build is not a configured build folder" >&2; exit 1; }
  cmake --preset release >/dev/null
fi
cmake --build "$build" --target fmnist_cnn -j "$(nproc)" >"$build/cnn-build.log" 2>&1 ||
  { tail -n 20 "$build/cnn-build.log" >&2; echo "cnn.sh: the build failed" >&2; exit 1; }

with_torch=1
/usr/bin/python3 -c "import torch" 2>/dev/null ||
  { with_torch=0; echo "cnn.sh: no PyTorch (apt-get install python3-torch): C++ rows only"; }

out="$build/bench/cnn.txt"
: >"$out"
run() {  # run ROUND NAME COMMAND...: one configuration, its last line into $out
  local round=$1 name=$2 log
  shift 2
  log="$build/bench/cnn-$round-$name.txt"
  echo "-- round $round: $name ($*)"
  "$@" >"$log" 2>&1 || { tail -n 5 "$log" >&2; echo "cnn.sh: $name failed" >&2; exit 1; }
  grep -E '^epoch ' "$log" | sed 's/^/   /'
  echo "$round $name $(tail -n 1 "$log")" >>"$out"
}

echo "load before: $(uptime)"
for r in $(seq "$rounds"); do
  for t in $threads; do
    run "$r" "C++-$t" "$cpp" --threads "$t" --epochs "$epochs"
    if [ "$with_torch" = 1 ]; then
      run "$r" "PyTorch-$t" /usr/bin/python3 "$here/fmnist_cnn.py" --threads "$t" \
        --epochs "$epochs"
    fi
  done
done
echo "load after:  $(uptime)"

# The table, from the machine-readable lines: "<round> <name> fmnist_cnn key=value ...".
echo
awk -v epochs="$epochs" '
  {
    delete v
    for (i = 4; i <= NF; ++i) { split($i, kv, "="); v[kv[1]] = kv[2] }
    split($2, nt, "-")
    printf "| %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f %% | %s | %.0f MiB |\n", \
           nt[1], nt[2], $1, v["first_epoch_s"], v["epoch_s"], v["cpu_epoch_s"], \
           v["cpu_per_wall"], 100 * v["test_acc"], v["init_loss"], v["peak_rss_mib"]
    epoch[$1, nt[2], nt[1]] = v["epoch_s"]
    if (!(nt[2] in seen)) { seen[nt[2]] = 1; order[++n] = nt[2] }
    last_round = $1
  }
  BEGIN {
    later = epochs == 2 ? "epoch 2" : "epochs 2-" epochs " (median)"
    printf "| program | threads | round | epoch 1 (s) | %s (s) | %s, CPU (s) | CPU / wall " \
           "| test accuracy | initial loss | peak RSS |\n", later, later
    print "|---|---|---|---|---|---|---|---|---|---|"
  }
  END {
    for (r = 1; r <= last_round; ++r)
      for (i = 1; i <= n; ++i)
        if (((r, order[i], "PyTorch") in epoch) && ((r, order[i], "C++") in epoch))
          printf "round %d, %s thread%s: C++ / PyTorch = %.2f (seconds per epoch)\n", r, \
                 order[i], order[i] == 1 ? "" : "s", \
                 epoch[r, order[i], "C++"] / epoch[r, order[i], "PyTorch"]
  }' "$out"
