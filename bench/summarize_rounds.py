#!/usr/bin/python3
"""Summarises bench/rounds.sh's output (see bench/README.md, "Results").

  /usr/bin/python3 bench/summarize_rounds.py bench-rounds.txt

Each input line is "ROUND CONFIG fmnist_mlp epoch_s=... gemm_s=... test_acc=...
peak_rss_mib=..." and, from the C++ benchmark, "teaching_epoch_s=... teaching_gemm_s=...
teaching_test_acc=..." after it. A C++ line gives two configurations: CONFIG (the fast
path) and CONFIG-teaching (the teaching library, trained in the same run). Prints, per
configuration, the median and range of epoch_s, gemm_s and their ratio, then per round:
PyTorch's fastest setting over each C++ configuration, and the teaching library over the
old library (config "old", if measured). Standard library only.
"""
import re
import statistics
import sys

LINE = re.compile(r"(\d+) ([\w-]+) fmnist_mlp epoch_s=([\d.]+) gemm_s=([\d.]+) "
                  r"test_acc=([\d.]+) peak_rss_mib=([\d.]+)"
                  r"(?: teaching_epoch_s=([\d.]+) teaching_gemm_s=([\d.]+) "
                  r"teaching_test_acc=([\d.]+))?")
PYTORCH = ("py1", "py2", "py12")


def spread(values, digits=3):
    return (f"{statistics.median(values):.{digits}f} "
            f"({min(values):.{digits}f}-{max(values):.{digits}f})")


def per_round(by_round, numerator, denominator):
    """numerator(d) / d[denominator] for each round that has both."""
    out = []
    for d in by_round.values():
        if denominator in d:
            n = numerator(d)
            if n is not None:
                out.append(n / d[denominator])
    return out


def main(path):
    runs, by_round = {}, {}
    with open(path) as f:
        for line in f:
            m = LINE.match(line.strip())
            if not m:
                continue
            round_, config = int(m[1]), m[2]
            epoch, gemm, acc, rss = (float(x) for x in m.groups()[2:6])
            runs.setdefault(config, []).append((epoch, gemm, acc, rss))
            by_round.setdefault(round_, {})[config] = epoch
            if m[7] is not None:
                t_epoch, t_gemm, t_acc = float(m[7]), float(m[8]), float(m[9])
                runs.setdefault(config + "-teaching", []).append((t_epoch, t_gemm, t_acc, rss))
                by_round[round_][config + "-teaching"] = t_epoch
    if not runs:
        sys.exit(f"summarize_rounds.py: no benchmark lines in {path}")
    print(f"{'config':14} {'runs':>4}  {'epoch_s':22} {'gemm_s':22} {'epoch/gemm':18} "
          f"test_acc  peak_rss")
    for config, v in runs.items():
        print(f"{config:14} {len(v):4}  {spread([x[0] for x in v]):22} "
              f"{spread([x[1] for x in v]):22} {spread([x[0] / x[1] for x in v], 2):18} "
              f"{100 * v[0][2]:.2f}%   {statistics.median(x[3] for x in v):.1f} MiB")

    def fastest_pytorch(d):
        return min(d[p] for p in PYTORCH) if all(p in d for p in PYTORCH) else None

    for config in ("cpp1", "cpp2", "cpp1-teaching", "cpp2-teaching", "old"):
        ratios = per_round(by_round, fastest_pytorch, config)
        if ratios:
            print(f"{config}: PyTorch's fastest / C++, per complete round: "
                  f"{spread(ratios, 3)}x over {len(ratios)} rounds: "
                  + " ".join(f"{r:.3f}" for r in ratios))
    ratios = per_round(by_round, lambda d: d.get("cpp1-teaching"), "old")
    if ratios:
        print(f"teaching (cpp1) / old library, per round: {spread(ratios, 3)} over "
              f"{len(ratios)} rounds: " + " ".join(f"{r:.3f}" for r in ratios))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
