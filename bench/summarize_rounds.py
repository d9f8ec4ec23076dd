#!/usr/bin/python3
"""Summarises bench/rounds.sh's output (see bench/README.md, "Results").

  /usr/bin/python3 bench/summarize_rounds.py bench-rounds.txt

Each input line is "ROUND CONFIG fmnist_mlp epoch_s=... gemm_s=... test_acc=...
peak_rss_mib=...". Prints, per configuration, the median and range of epoch_s, gemm_s and
their ratio, and for the C++ configurations the per-round speed-up over PyTorch's fastest
setting in the same round. Standard library only.
"""
import re
import statistics
import sys

LINE = re.compile(r"(\d+) (\w+) fmnist_mlp epoch_s=([\d.]+) gemm_s=([\d.]+) "
                  r"test_acc=([\d.]+) peak_rss_mib=([\d.]+)")
PYTORCH = ("py1", "py2", "py12")


def spread(values, digits=3):
    return (f"{statistics.median(values):.{digits}f} "
            f"({min(values):.{digits}f}-{max(values):.{digits}f})")


def main(path):
    runs, by_round = {}, {}
    with open(path) as f:
        for line in f:
            m = LINE.match(line.strip())
            if not m:
                continue
            round_, config = int(m[1]), m[2]
            epoch, gemm, acc, rss = (float(x) for x in m.groups()[2:])
            runs.setdefault(config, []).append((epoch, gemm, acc, rss))
            by_round.setdefault(round_, {})[config] = epoch
    if not runs:
        sys.exit(f"summarize_rounds.py: no benchmark lines in {path}")
    print(f"{'config':6} {'runs':>4}  {'epoch_s':22} {'gemm_s':22} {'epoch/gemm':18} "
          f"test_acc  peak_rss")
    for config, v in runs.items():
        print(f"{config:6} {len(v):4}  {spread([x[0] for x in v]):22} "
              f"{spread([x[1] for x in v]):22} {spread([x[0] / x[1] for x in v], 2):18} "
              f"{100 * v[0][2]:.2f}%   {statistics.median(x[3] for x in v):.1f} MiB")
    for config in ("cpp1", "cpp2"):
        ratios = [min(d[p] for p in PYTORCH if p in d) / d[config]
                  for d in by_round.values()
                  if config in d and all(p in d for p in PYTORCH)]
        if ratios:
            print(f"{config}: PyTorch's fastest / C++, per complete round: "
                  f"{spread(ratios, 3)}x over {len(ratios)} rounds: "
                  + " ".join(f"{r:.3f}" for r in ratios))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
