#!/usr/bin/python3
"""Summarises bench/chapter09_kernels.sh's runs of chapter 09 (see that script).

  /usr/bin/python3 bench/summarize_chapter09.py build/release/bench/chapter09

Each run folder (KERNEL-sSEED) holds run.log (the chapter's output with --final) and the
figures' CSVs. Prints, over all runs and over the default seed's runs: validation and test
accuracy, Shirt's and Bag's recall, the validation confusion matrix's families (tops,
footwear, between the families), and, between every two kernels with the same seed, the
largest difference of a confusion cell and the fewest shared misclassified panels, and the
root mean square of the weights figure's two panels. Standard library only.
"""
import csv
import itertools
import math
import os
import re
import statistics
import sys

NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
         "Sneaker", "Bag", "Ankle boot"]
TOPS, SHOES, GARMENTS = [0, 2, 4, 6], [5, 7, 9], [0, 1, 2, 3, 4, 6]


def read_run(folder):
    log = open(os.path.join(folder, "run.log")).read()
    validation = log[log.index("Results on the validation set"):log.index("Final test")]
    test = log[log.index("Final test"):]
    run = {
        "validation": float(re.search(r"accuracy +([\d.]+)%", validation)[1]),
        "test": float(re.search(r"accuracy +([\d.]+)%", test)[1]),
    }
    for part, text in (("validation", validation), ("test", test)):
        for name in ("Shirt", "Bag"):
            run[f"{part} {name} recall"] = float(re.search(name + r" ([\d.]+)%", text)[1])
    C = [[0] * 10 for _ in range(10)]
    with open(os.path.join(folder, "confusion.csv")) as f:
        for row in csv.DictReader(f):
            C[int(float(row["y"]))][int(float(row["x"]))] = int(float(row["value"]))
    run["C"] = C
    off = lambda rows, cols: sum(C[i][j] for i in rows for j in cols if i != j)
    run["mistakes"] = off(range(10), range(10))
    run["tops family"] = off(TOPS, TOPS)
    run["footwear family"] = off(SHOES, SHOES)
    run["Ankle boot -> Sneaker"] = C[9][7]
    run["garment -> shoe"] = sum(C[i][j] for i in GARMENTS for j in SHOES)
    run["shoe -> not a shoe"] = sum(C[i][j] for i in SHOES for j in range(10) if j not in SHOES)
    for j in range(10):
        if j != 6:
            run["Shirt -> " + NAMES[j]] = C[6][j]
    panels = {}
    with open(os.path.join(folder, "misclassified.csv")) as f:
        for row in csv.DictReader(f):
            panels.setdefault(row["panel"], []).append(row["value"])
    run["panels"] = [tuple(v) for v in panels.values()]
    squares = {}
    with open(os.path.join(folder, "weights.csv")) as f:
        for row in csv.DictReader(f):
            if row["value"] not in ("", "nan"):
                squares.setdefault(row["series"], []).append(float(row["value"]) ** 2)
    for series, values in squares.items():
        run[f"rms {series}"] = math.sqrt(sum(values) / len(values))
    return run


def show(label, runs):
    print(f"{label}: {len(runs)} runs")
    keys = [k for k in runs[0] if k not in ("C", "panels")]
    for k in keys:
        v = [r[k] for r in runs]
        extra = f" (mean {statistics.mean(v):.3f}, sd {statistics.stdev(v):.3f})" if len(v) > 1 else ""
        print(f"  {k:28} {min(v):g} to {max(v):g}{extra}")
    share = [r["tops family"] / r["mistakes"] for r in runs]
    print(f"  {'tops family / mistakes':28} {100 * min(share):.1f}% to {100 * max(share):.1f}%")


def main(folder):
    runs = {}
    for name in sorted(os.listdir(folder)):
        m = re.fullmatch(r"(\w+)-s(\d+)", name)
        if m and os.path.exists(os.path.join(folder, name, "run.log")):
            runs[(m[1], int(m[2]))] = read_run(os.path.join(folder, name))
    if not runs:
        sys.exit(f"summarize_chapter09.py: no runs in {folder}")
    show("all", list(runs.values()))
    default = [r for (k, s), r in runs.items() if s == 42]
    if default and len(default) < len(runs):
        show("seed 42", default)
    cell, shared = 0, 24
    for (a, ra), (b, rb) in itertools.combinations(runs.items(), 2):
        if a[1] == b[1]:
            cell = max(cell, max(abs(ra["C"][i][j] - rb["C"][i][j])
                                 for i in range(10) for j in range(10)))
            shared = min(shared, len(set(ra["panels"]) & set(rb["panels"])))
    print(f"between two kernels, same seed: a confusion cell differs by at most {cell}; "
          f"at least {shared} of the 24 misclassified panels are shared")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
