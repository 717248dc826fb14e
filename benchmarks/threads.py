#!/usr/bin/env python3
"""One thread against all threads, in one run: search, apply, neighbour mining and a training step, each at
--threads 1 and --threads N (rounds alternate the counts; the median of --runs rounds per cell), with the
library's tiled sgemm at the same counts as the reference for what the cores can give.

The corpus is a synthetic one from benchmarks/generate_corpus.py (default benchmarks/out/synthetic-1m,
generated on first use): search is 1,000 of its queries against all of it at m = 64 (`matryoshka-bench
search`, index in memory, exact); apply is the whole `matryoshka apply --dimension 64` process; mining is
20,000 anchors against all rows on the 128-d principal-axes shortlist (`matryoshka-bench mine`); a training
step is the default unsupervised step on a 20,000-row sample (`matryoshka-bench train`).

Usage: benchmarks/threads.py [--corpus DIR] [--threads 2] [--runs 3]   (after `swift build -c release`)
Prints a markdown table and writes benchmarks/out/threads.json.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from common import BENCH, BINARY, ROOT

OUT = os.path.join(ROOT, "benchmarks", "out")


def bench(arguments):
    """Runs matryoshka-bench; returns the JSON rows it printed."""
    output = subprocess.run([BENCH, *arguments], capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def wall(arguments):
    start = time.perf_counter()
    subprocess.run(arguments, check=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=os.path.join(OUT, "synthetic-1m"))
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    corpus = os.path.join(args.corpus, "corpus.f32.npy")
    if not os.path.exists(corpus):
        subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "generate_corpus.py"),
                        "--rows", "1000000", "--out", args.corpus], check=True)
    sample = os.path.join(OUT, "threads-sample-20k.npy")
    rows = np.load(corpus, mmap_mode="r")
    np.save(sample, np.ascontiguousarray(rows[::max(1, len(rows) // 20_000)][:20_000]))
    model = os.path.join(OUT, "threads-adaptor.safetensors")
    subprocess.run([BINARY, "fit", "--corpus", sample, "--out", model, "--iterations", "5", "--quiet"], check=True)

    # Each measurement: (name, unit, function of the thread count returning the rate).
    measurements = [
        ("sgemm 8192 × 768 × 768 (reference)", "GFLOP/s",
         lambda t: bench(["sgemm", "--threads", str(t)])[0]["gflops"]),
        ("search, 1M docs, 1,000 queries, m = 64", "queries/s",
         lambda t: bench(["search", "--docs", corpus, "--queries", os.path.join(args.corpus, "queries.f32.npy"),
                          "--dims", "64", "--runs", "3", "--threads", str(t)])[0]["search_qps"]),
        ("apply --dimension 64, whole process", "rows/s",
         lambda t: 1_000_000 / wall([BINARY, "apply", "--adaptor", model, "--input", corpus, "--output",
                                     os.path.join(OUT, "threads-apply.npy"), "--dimension", "64", "--quiet",
                                     "--threads", str(t)])),
        ("mining, 20k anchors, shortlist m' = 128", "documents/s",
         lambda t: bench(["mine", "--corpus", corpus, "--anchors", "20000", "--mining-dimension", "128",
                          "--threads", str(t)])[0]["documents_per_second"]),
        ("training step, d = 768, 20k sample", "steps/s",
         lambda t: bench(["train", "--corpus", sample, "--iterations", "50", "--runs", "3",
                          "--threads", str(t)])[0]["iterations_per_second"]),
    ]
    counts = [1, args.threads]
    results = {}
    for name, unit, measure in measurements:
        rates = {t: [] for t in counts}
        for _ in range(args.runs):
            for t in counts:
                rates[t].append(measure(t))
        results[name] = {"unit": unit, **{str(t): statistics.median(r) for t, r in rates.items()}}
        print(json.dumps({name: results[name]}), flush=True)
    with open(os.path.join(OUT, "threads.json.tmp"), "w") as f:
        json.dump(results, f, indent=1)
    os.replace(os.path.join(OUT, "threads.json.tmp"), os.path.join(OUT, "threads.json"))

    t = args.threads
    print(f"\n| step | unit | 1 thread | {t} threads | speed-up |\n|---|---|---|---|---|")
    for name, row in results.items():
        print(f"| {name} | {row['unit']} | {row['1']:,.1f} | {row[str(t)]:,.1f} | {row[str(t)] / row['1']:.2f}× |")


if __name__ == "__main__":
    main()
