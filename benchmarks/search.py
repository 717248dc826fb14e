#!/usr/bin/env python3
"""Exact top-10 search over 200,000 random 768-d documents for 1,000 queries at m = 32 ... 768:
matryoshka's FlatIndex next to faiss-cpu IndexFlatIP on one thread, on the same vectors, in one run
(rounds alternate the two engines; the sgemm rate is plain sgemm over the same products, timed beside each search).

Usage: benchmarks/search.py [--runs 5] [--documents 200000] [--queries 1000]
Needs a release build (`swift build -c release --product matryoshka-bench`); installs faiss-cpu and numpy
into benchmarks/.venv on first use. Prints a markdown table (median of --runs runs per cell) and writes the
raw numbers to benchmarks/out/search.json.
"""
import argparse
import json
import os
import statistics
import subprocess
import time

from common import BENCH, ensure_venv

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ensure_venv(".venv", ["faiss-cpu", "numpy"])
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    import faiss
    import numpy as np

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--documents", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--dims", default="32,64,128,256,768")
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    dims = [int(m) for m in args.dims.split(",")]
    faiss.omp_set_num_threads(1)

    out = os.path.join(HERE, "out")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    docs = rng.standard_normal((args.documents, 768), dtype=np.float32)
    queries = rng.standard_normal((args.queries, 768), dtype=np.float32)
    np.save(os.path.join(out, "docs.npy"), docs)
    np.save(os.path.join(out, "queries.npy"), queries)

    # Rounds interleave the two engines so that a slow spell of the (shared, virtual) machine hits both.
    indexes = {}
    normalized_queries = {}
    for m in dims:
        d = np.ascontiguousarray(docs[:, :m])
        q = np.ascontiguousarray(queries[:, :m])
        faiss.normalize_L2(d)
        faiss.normalize_L2(q)
        indexes[m] = faiss.IndexFlatIP(m)
        indexes[m].add(d)
        normalized_queries[m] = q
    del docs
    bench = BENCH
    faiss_times = {m: [] for m in dims}
    our_rows = {m: [] for m in dims}
    for _ in range(args.runs):
        for m in dims:
            start = time.perf_counter()
            indexes[m].search(normalized_queries[m], args.k)
            faiss_times[m].append(time.perf_counter() - start)
        output = subprocess.run(
            [bench, "search", "--docs", os.path.join(out, "docs.npy"), "--queries", os.path.join(out, "queries.npy"),
             "--dims", args.dims, "--k", str(args.k), "--runs", "1"],
            check=True, capture_output=True, text=True).stdout
        for row in map(json.loads, output.splitlines()):
            our_rows[row["m"]].append(row)
    ours = {}
    for m in dims:
        search = statistics.median(r["search_seconds"] for r in our_rows[m])
        gemm = statistics.median(r["sgemm_seconds"] for r in our_rows[m])
        flops = 2.0 * m * args.documents * args.queries
        ours[m] = {"search_qps": args.queries / search, "search_gflops": flops / search / 1e9,
                   "sgemm_gflops": flops / gemm / 1e9, "fraction_of_sgemm": gemm / search,
                   "search_seconds": search, "sgemm_seconds": gemm}
    faiss_rows = {m: statistics.median(faiss_times[m]) for m in dims}

    print(f"{args.queries} queries, {args.documents} documents, top-{args.k}, median of {args.runs} interleaved runs, one thread")
    print("| m | matryoshka q/s | faiss IndexFlatIP q/s | ratio | search GFLOP/s | sgemm GFLOP/s | search / sgemm |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    for m in dims:
        faiss_qps = args.queries / faiss_rows[m]
        r = ours[m]
        rows.append({"m": m, "faiss_qps": faiss_qps, **r})
        print(f"| {m} | {r['search_qps']:,.0f} | {faiss_qps:,.0f} | {r['search_qps'] / faiss_qps:.2f}x "
              f"| {r['search_gflops']:.1f} | {r['sgemm_gflops']:.1f} | {100 * r['fraction_of_sgemm']:.0f} % |")
    with open(os.path.join(out, "search.json"), "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
