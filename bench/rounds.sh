#!/bin/bash
# bench/rounds.sh: the speed comparison of bench/README.md, "Results".
#
#   bash bench/rounds.sh [ROUNDS] [BUILD_DIR] [OLD_BINARY]
#                                  (defaults: 8 rounds, build/release, no old binary)
#
# Each round runs the C++ benchmark with 1 and 2 BLAS threads (each run trains both the
# teaching library and the fast path) and the PyTorch script in its three best settings,
# one after the other, each started only once both CPUs have been at least 90 % idle for
# 2 seconds (it waits up to 2 minutes). With OLD_BINARY (another build of
# bench/fmnist_mlp, e.g. of an earlier commit), each round also runs it with 1 thread, as
# configuration "old". The runs' last lines go to BUILD_DIR/bench/rounds.txt, and
# summarize_rounds.py prints the summary (medians, ranges, and per round the speed-up over
# PyTorch's fastest setting and the teaching library against the old binary).
# NO_IDLE_WAIT=1 skips the wait (on a machine that is never idle; then only ratios within
# a round mean much).
# Needs the benchmark built (./tutorial bench builds it) and Debian's python3-torch.
set -euo pipefail
rounds=${1:-8}
build=${2:-build/release}
old=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
cpp="$build/bench/fmnist_mlp"
py="/usr/bin/python3 $here/fmnist_mlp.py"
out="$build/bench/rounds.txt"
[ -x "$cpp" ] || { echo "rounds.sh: $cpp not found; build first (./tutorial bench)" >&2; exit 1; }

# Both CPUs at least 90 % idle over 2 s, from /proc/stat's first line (user nice system
# idle iowait irq softirq steal).
wait_until_idle() {
  [ "${NO_IDLE_WAIT:-0}" = 1 ] && return 0
  for _ in $(seq 60); do
    read -r _ a1 a2 a3 a4 a5 a6 a7 a8 _ < /proc/stat
    sleep 2
    read -r _ b1 b2 b3 b4 b5 b6 b7 b8 _ < /proc/stat
    local total=$(( (b1+b2+b3+b4+b5+b6+b7+b8) - (a1+a2+a3+a4+a5+a6+a7+a8) ))
    (( total > 0 && (b4 - a4) * 100 / total >= 90 )) && return 0
  done
  echo "rounds.sh: the machine did not become idle; measuring anyway" >&2
}

run() {  # run ROUND NAME COMMAND...: one configuration, its last line into $out
  local round=$1 name=$2
  shift 2
  wait_until_idle
  echo "$round $name $("$@" | tail -n 1)" | tee -a "$out"
}

: > "$out"
for r in $(seq "$rounds"); do
  [ -n "$old" ] && run "$r" old "$old" --threads 1
  run "$r" cpp1 "$cpp" --threads 1
  run "$r" cpp2 "$cpp" --threads 2
  run "$r" py1 $py --threads 1
  run "$r" py2 env OMP_WAIT_POLICY=PASSIVE $py --threads 2
  run "$r" py12 $py --threads 1 --blas-threads 2
done
/usr/bin/python3 "$here/summarize_rounds.py" "$out"
