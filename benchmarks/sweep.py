#!/usr/bin/env python3
"""Wall time of the baseline sweep on the bundled SciFact data: `matryoshka evaluate` for truncation and for
PCA at the default dimensions (16 ... 384), each a whole process (load, fit, search, metrics).

Usage: benchmarks/sweep.py [--runs 7]   (after `swift build -c release --product matryoshka`)
Prints the median and range of --runs runs per command.
"""
import argparse
import os
import statistics
import subprocess
import time

from common import BINARY, ROOT


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--data", default=os.path.join(ROOT, "data", "scifact"))
    args = parser.parse_args()
    print(f"| command | median s | min s | max s |")
    print("|---|---|---|---|")
    for method in ["truncate", "pca"]:
        command = [BINARY, "evaluate", "--data", args.data, "--method", method]
        subprocess.run(command, check=True, capture_output=True)  # warm the file cache
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        shown = " ".join(command[1:]).replace(ROOT + "/", "")
        print(f"| `matryoshka {shown}` | {statistics.median(times):.3f} | {min(times):.3f} | {max(times):.3f} |")


if __name__ == "__main__":
    main()
