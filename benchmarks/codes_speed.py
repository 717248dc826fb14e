#!/usr/bin/env python3
"""Scans of codes beside FAISS, in one run (rounds alternate the engines), one thread each and then every core:

1. Hamming: exact top-10 by Hamming distance over 1,000,000 packed 256-bit codes for 1,000 queries, matryoshka's
   CodeIndex.hammingSearch (matryoshka-bench hamming) next to faiss-cpu IndexBinaryFlat on the same bytes. The codes
   are random bytes (a real corpus's centred codes are as balanced). Both engines must find the same distances (ties
   at the 10th may pick different documents); the script checks that.
2. Asymmetric int8: exact top-10 of float queries against int8 codes of 1,000,000 unit Gaussian vectors of 64
   coordinates (64 bytes each), matryoshka's CodeIndex (matryoshka-bench code-scan) next to faiss-cpu
   IndexScalarQuantizer(QT_8bit, inner product), each calibrating each coordinate's range on the same vectors.
   Their rankings differ slightly (ours is the cosine of the decoded code, FAISS's the inner product), so the
   script reports each one's recall@10 of exact float search instead of asking for identical lists. Measured for
   one query per call (a server's case; ours scores it in one fused pass over the codes) and for a batch of
   --scan-queries (ours decodes a cache-sized block once for the whole batch and scores it with sgemm).

Usage: benchmarks/codes_speed.py [--runs 5] [--documents 1000000] [--queries 1000] [--bits 256]
                                 [--scan-dimension 64] [--scan-queries 200] [--only hamming|int8]
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
    parser.add_argument("--scan-dimension", type=int, default=64)
    parser.add_argument("--scan-queries", type=int, default=200)
    parser.add_argument("--only", choices=["hamming", "int8"])
    args = parser.parse_args()
    results = {}
    if args.only != "int8":
        results["hamming"] = hamming(args, faiss, np)
    if args.only != "hamming":
        results["int8"] = int8_scan(args, faiss, np)
    with open(os.path.join(HERE, "out", "codes_speed.json"), "w") as file:
        json.dump(results, file, indent=1)


def hamming(args, faiss, np):
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
    os.remove(docs_path)
    os.remove(queries_path)
    return table


def int8_scan(args, faiss, np):
    """The int8 part for one query at a time (what a server sees) and for a batch of --scan-queries."""
    return {str(n): int8_scan_of(args, faiss, np, n) for n in sorted({1, args.scan_queries})}


def int8_scan_of(args, faiss, np, query_count):
    args = argparse.Namespace(**{**vars(args), "scan_queries": query_count})
    out = os.path.join(HERE, "out")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(1)
    d = args.scan_dimension
    docs = rng.standard_normal((args.documents, d), dtype=np.float32)
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    queries = rng.standard_normal((args.scan_queries, d), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    docs_path, queries_path = os.path.join(out, "scan_docs.f32"), os.path.join(out, "scan_queries.f32")
    docs.tofile(docs_path)
    queries.tofile(queries_path)
    exact = np.concatenate([np.argpartition(-(queries[i:i + 20] @ docs.T), args.k, axis=1)[:, :args.k]
                            for i in range(0, len(queries), 20)])

    def recall(found):
        return float(np.mean([len(set(exact[q]) & set(found[q])) / args.k for q in range(len(found))]))

    index = faiss.IndexScalarQuantizer(d, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    index.train(docs)
    index.add(docs)
    table = []
    for threads in sorted({1, os.cpu_count()}):
        faiss.omp_set_num_threads(threads)
        faiss_times, our_times, ours, theirs = [], [], None, None
        for _ in range(args.runs):
            start = time.perf_counter()
            _, theirs = index.search(queries, args.k)
            faiss_times.append(time.perf_counter() - start)
            row = json.loads(subprocess.run(
                [BENCH, "code-scan", "--vectors", docs_path, "--queries", queries_path, "--dimension", str(d),
                 "--precision", "int8", "--k", str(args.k), "--runs", "1", "--threads", str(threads)],
                check=True, capture_output=True, text=True).stdout)
            our_times.append(row["seconds"])
            ours = np.array(row["indices"]).reshape(args.scan_queries, args.k)
        f, o = statistics.median(faiss_times), statistics.median(our_times)
        table.append({"threads": threads, "faiss_us_per_query": f / args.scan_queries * 1e6,
                      "matryoshka_us_per_query": o / args.scan_queries * 1e6,
                      "matryoshka_recall@10": recall(ours), "faiss_recall@10": recall(theirs)})
    print(f"\n{args.scan_queries} float queries, {args.documents:,} int8 codes of {d} coordinates, top-{args.k}, "
          f"median of {args.runs} interleaved runs")
    print("| threads | matryoshka µs/query | faiss IndexScalarQuantizer QT_8bit µs/query | ratio (faiss / ours) "
          "| recall@10 of exact float search (ours / faiss) |")
    print("|---|---|---|---|---|")
    for r in table:
        print(f"| {r['threads']} | {r['matryoshka_us_per_query']:,.0f} | {r['faiss_us_per_query']:,.0f} "
              f"| {r['faiss_us_per_query'] / r['matryoshka_us_per_query']:.2f}x "
              f"| {r['matryoshka_recall@10']:.3f} / {r['faiss_recall@10']:.3f} |")
    os.remove(docs_path)
    os.remove(queries_path)
    return table


if __name__ == "__main__":
    main()
