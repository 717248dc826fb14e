#!/usr/bin/env python3
"""Writes a large synthetic corpus with the structure of real embeddings, as a data set folder (corpus.f32.npy,
corpus_ids.txt, queries.f32.npy, query_ids.txt, README.md), for the scale benchmarks.

The source is a real embedding set (default: the 1,460 all-mpnet-base-v2 vectors of ../shared/data/cisi, 768-d).
Its L2-normalised vectors are the topic centres; each generated vector is a centre chosen uniformly plus
Gaussian noise whose covariance is the source's **within-cluster** covariance (the residuals of a 200-cluster
spherical k-means), scaled by --noise, then given the norm of a random source vector (the shared vectors are raw,
un-normalised model output). So the corpus keeps the source's decaying spectrum and its coarse topic geometry,
with a doc's neighbours mostly from its own topic and ranked by variation shaped like real local variation.
Queries are drawn the same way from an independent stream (they are not corpus rows).

With --noise 1 the label-free neighbour recall of truncation, PCA and the uncentred principal axes on a
20,000-row sample follows the source's own curves in shape (measured while choosing the generator; see
BENCHMARKS.md, "Scale"). Deterministic for a given --seed. Writes in blocks (memory stays at about one block)
to temporary names that are renamed into place at the end.

Usage: benchmarks/generate_corpus.py --rows 1000000 --out benchmarks/out/synthetic-1m [--queries 1000]
"""
import argparse
import os
import time

from common import ROOT, ensure_venv


def spherical_kmeans(x, clusters, iterations, rng):
    """Centres (unit rows) and assignments of a spherical k-means on unit rows `x`."""
    import numpy as np
    centres = x[rng.choice(len(x), clusters, replace=False)].copy()
    for _ in range(iterations):
        assignment = np.argmax(x @ centres.T, axis=1)
        for c in range(clusters):
            members = x[assignment == c]
            if len(members):
                mean = members.mean(axis=0)
                centres[c] = mean / np.linalg.norm(mean)
    return centres, np.argmax(x @ centres.T, axis=1)


def write_npy_in_blocks(path, rows, columns, blocks):
    """Writes a float32 C-order .npy of rows × columns from an iterator of row blocks, atomically."""
    import numpy as np
    temporary = path + ".tmp"
    with open(temporary, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f4", "fortran_order": False, "shape": (rows, columns)})
        written = 0
        for block in blocks:
            f.write(np.ascontiguousarray(block, dtype="<f4").tobytes())
            written += len(block)
    assert written == rows, (written, rows)
    os.replace(temporary, path)


def write_ids(path, prefix, count):
    temporary = path + ".tmp"
    with open(temporary, "w") as f:
        f.writelines(f"{prefix}{i}\n" for i in range(count))
    os.replace(temporary, path)


def main():
    ensure_venv(".venv", ["faiss-cpu", "numpy"])
    import numpy as np

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--source", default=os.path.join(ROOT, "..", "shared", "data", "cisi", "models",
                                                         "all-mpnet-base-v2", "corpus.f32.npy"))
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--noise", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--block", type=int, default=65_536)
    args = parser.parse_args()

    start = time.time()
    raw = np.load(args.source).astype(np.float64)
    norms = np.linalg.norm(raw, axis=1)
    centres = raw / norms[:, None]
    rng = np.random.default_rng(args.seed)
    _, assignment = spherical_kmeans(centres, args.clusters, 20, rng)
    cluster_means = np.zeros((args.clusters, centres.shape[1]))
    for c in range(args.clusters):
        if (assignment == c).any():
            cluster_means[c] = centres[assignment == c].mean(axis=0)
    residuals = centres - cluster_means[assignment]
    within = residuals.T @ residuals / len(residuals)
    values, vectors = np.linalg.eigh(within)
    factor = vectors * np.sqrt(np.clip(values, 0, None))  # within = factor @ factor.T
    d = centres.shape[1]

    def blocks(count, stream):
        for first in range(0, count, args.block):
            n = min(args.block, count - first)
            topic = stream.integers(0, len(centres), n)
            x = centres[topic] + args.noise * (stream.standard_normal((n, d)) @ factor.T)
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            x *= norms[stream.integers(0, len(norms), n)][:, None]
            yield x.astype(np.float32)

    os.makedirs(args.out, exist_ok=True)
    corpus_stream, query_stream = (np.random.default_rng(s) for s in np.random.SeedSequence(args.seed).spawn(2))
    write_npy_in_blocks(os.path.join(args.out, "corpus.f32.npy"), args.rows, d, blocks(args.rows, corpus_stream))
    write_ids(os.path.join(args.out, "corpus_ids.txt"), "d", args.rows)
    write_npy_in_blocks(os.path.join(args.out, "queries.f32.npy"), args.queries, d, blocks(args.queries, query_stream))
    write_ids(os.path.join(args.out, "query_ids.txt"), "q", args.queries)
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write(f"Synthetic corpus written by benchmarks/generate_corpus.py --rows {args.rows} --queries {args.queries} "
                f"--clusters {args.clusters} --noise {args.noise} --seed {args.seed}\nfrom {os.path.relpath(args.source, ROOT)} "
                f"({len(centres)} topic centres, {d}-d). No judgements.\n")
    print(f"wrote {args.rows} × {d} corpus and {args.queries} queries to {args.out} in {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
