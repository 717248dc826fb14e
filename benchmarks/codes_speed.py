#!/usr/bin/env python3
"""The Hamming scan beside FAISS: exact top-10 by Hamming distance over 1,000,000 packed 256-bit codes for 1,000
queries, matryoshka's CodeIndex.hammingSearch (matryoshka-bench hamming) next to faiss-cpu IndexBinaryFlat on the
same bytes, in one run (rounds alternate the engines), one thread each and then every core for both.

The codes are the signs of Gaussian vectors (a real corpus's centred codes are as balanced). Both engines must find
the same distances (ties at the 10th may pick different documents); the script checks that.

Usage: benchmarks/codes_speed.py [--runs 5] [--documents 1000000] [--queries 1000] [--bits 256]
Needs `swift build -c release --product matryoshka-bench`; installs faiss-cpu into benchmarks/.venv.
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
    import faiss
    import numpy as np

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--bits", type=int, default=256)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    out = os.path.join(HERE, "out")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    width = args.bits // 8
    docs = rng.integers(0, 256, size=(args.documents, width), dtype=np.uint8)
    queries = rng.integers(0, 256, size=(args.queries, width), dtype=np.uint8)
    docs_path, queries_path = os.path.join(out, "codes.u8"), os.path.join(out, "query_codes.u8")
    docs.tofile(docs_path)
    queries.tofile(queries_path)
    index = faiss.IndexBinaryFlat(args.bits)
    index.add(docs)
    cores = os.cpu_count()
    table = []
    for threads in sorted({1, cores}):
        faiss.omp_set_num_threads(threads)
        faiss_times, our_times, found = [], [], None
        for _ in range(args.runs):
            start = time.perf_counter()
            distances, faiss_found = index.search(queries, args.k)
            faiss_times.append(time.perf_counter() - start)
            row = json.loads(subprocess.run(
                [BENCH, "hamming", "--codes", docs_path, "--queries", queries_path, "--bits", str(args.bits),
                 "--k", str(args.k), "--runs", "1", "--threads", str(threads)],
                check=True, capture_output=True, text=True).stdout)
            our_times.append(row["seconds"])
            found = np.array(row["indices"]).reshape(args.queries, args.k)
        ours_d = np.unpackbits(docs[found] ^ queries[:, None, :], axis=2).sum(axis=2)
        same = bool((np.sort(ours_d, axis=1) == np.sort(distances, axis=1)).all())
        f, o = statistics.median(faiss_times), statistics.median(our_times)
        table.append({"threads": threads, "faiss_us_per_query": f / args.queries * 1e6,
                      "matryoshka_us_per_query": o / args.queries * 1e6, "same_distances": same})
    print(f"{args.queries} queries, {args.documents:,} codes of {args.bits} bits, top-{args.k}, "
          f"median of {args.runs} interleaved runs")
    print("| threads | matryoshka µs/query | faiss IndexBinaryFlat µs/query | ratio (faiss / ours) | same distances |")
    print("|---|---|---|---|---|")
    for r in table:
        print(f"| {r['threads']} | {r['matryoshka_us_per_query']:,.0f} | {r['faiss_us_per_query']:,.0f} "
              f"| {r['faiss_us_per_query'] / r['matryoshka_us_per_query']:.2f}x | {r['same_distances']} |")
    with open(os.path.join(out, "codes_speed.json"), "w") as file:
        json.dump(table, file, indent=1)
    os.remove(docs_path)
    os.remove(queries_path)


if __name__ == "__main__":
    main()
