#!/usr/bin/python3
"""Summarises bench/seeds.sh's output (see bench/README.md, "Accuracy compared with PyTorch").

  /usr/bin/python3 bench/summarize_seeds.py seeds-cpp.txt seeds-pytorch.txt

Each input line is "SEED fmnist_mlp ... test_acc=... ...". Prints the mean, standard
deviation and range of each program's test accuracy, and the paired difference (C++ minus
PyTorch, seed by seed) with its standard error and a 95 % interval. Standard library only.
"""
import math
import re
import statistics
import sys


def accuracies(path):
    found = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"(\d+) fmnist_mlp .*test_acc=([\d.]+)", line.strip())
            if m:
                found[int(m[1])] = 100 * float(m[2])
    return found


def main(cpp_path, torch_path):
    cpp, torch = accuracies(cpp_path), accuracies(torch_path)
    seeds = sorted(set(cpp) & set(torch))
    if len(seeds) < 2:
        sys.exit("summarize_seeds.py: need at least two seeds run by both programs")
    for name, acc in (("C++", cpp), ("PyTorch", torch)):
        v = [acc[s] for s in seeds]
        print(f"{name:8} {len(v)} seeds: mean {statistics.mean(v):.2f}%, "
              f"sd {statistics.stdev(v):.2f}, range {min(v):.2f}-{max(v):.2f}%")
    diff = [cpp[s] - torch[s] for s in seeds]
    mean, se = statistics.mean(diff), statistics.stdev(diff) / math.sqrt(len(diff))
    ahead = sum(d >= 0 for d in diff)
    print(f"C++ - PyTorch, paired: {mean:+.3f} points, standard error {se:.3f}, "
          f"95% interval {mean - 1.96 * se:+.2f} to {mean + 1.96 * se:+.2f}; "
          f"C++ at least as accurate on {ahead} of {len(diff)} seeds")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
