#!/usr/bin/env python3
"""`matryoshka apply` throughput on 100,000 x 768 float32 vectors (whole process: read, adapt, write).

Usage: benchmarks/apply.py [--runs 5] [--rows 100000]   (after `swift build -c release --product matryoshka`)
The adaptor is a default 768-d model (h = 768, principal-axes front map) fitted for a few iterations on
the first 5,000 rows; its weights do not change the cost. Prints the median rows per second.
"""
import argparse
import os
import statistics
import subprocess
import time

import numpy as np

from common import BINARY, ROOT


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    out = os.path.join(ROOT, "benchmarks", "out")
    os.makedirs(out, exist_ok=True)
    vectors = os.path.join(out, "apply-input.npy")
    np.save(vectors, np.random.default_rng(0).standard_normal((args.rows, 768), dtype=np.float32))
    np.save(os.path.join(out, "apply-train.npy"), np.load(vectors, mmap_mode="r")[:5000])
    model = os.path.join(out, "apply-768.safetensors")
    subprocess.run([BINARY, "fit", "--corpus", os.path.join(out, "apply-train.npy"), "--out", model,
                    "--iterations", "5", "--quiet"], check=True)
    for label, extra in [("full 768-d output", []), ("--dimension 64", ["--dimension", "64"])]:
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run([BINARY, "apply", "--adaptor", model, "--input", vectors,
                            "--output", os.path.join(out, "apply-output.npy"), "--quiet", *extra], check=True)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        print(f"| {label} | {args.rows:,} | {median:.3f} s | {args.rows / median:,.0f} vectors/s |")


if __name__ == "__main__":
    main()
