#!/usr/bin/env python3
"""The Python package's cost over the Swift core, in one run, rounds interleaved, medians:

1. transform of 100,000 x 768 random Gaussian rows (numpy seed 0) at m = 64 by an adaptor: `Adaptor.transform`
   in memory; the same file to file (np.load, transform, np.save) beside `matryoshka apply` on the same file; and
   the numpy forward pass of docs/model-file.md (the README's "in numpy") in memory;
2. `Index.search` (1,000 queries, top 10, m = 32 and 64, truncation) beside faiss-cpu `IndexFlatIP` on the same
   normalised prefixes, one thread each, same process, and beside the Swift core alone (`matryoshka-bench search`,
   the FlatIndex the CLI's search figures measure) on the same files.

Usage: benchmarks/python_binding.py [--runs 5] [--rows 100000] [--threads 1,2]
Needs `swift build -c release --product matryoshka --product matryoshka-bench` (each) and
`scripts/build-python-library`; installs faiss-cpu, numpy
and safetensors into benchmarks/.venv-python on first use. Prints markdown tables; raw numbers go to
benchmarks/out/python_binding.json.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from common import BENCH, BINARY, ROOT, ensure_venv

HERE = os.path.dirname(os.path.abspath(__file__))


def apply_adaptor(path, x, m=None):
    """docs/model-file.md's numpy forward pass, as written there (tensors read on every call, as there)."""
    import numpy as np
    from safetensors import safe_open

    with safe_open(path, "np") as f:
        t = {k: f.get_tensor(k) for k in f.keys()}
        config = json.loads(f.metadata()["configuration"])
    act = {"relu": lambda a: np.maximum(a, 0), "tanh": np.tanh}[config["activation"]]
    x = x / np.linalg.norm(x, axis=1, keepdims=True) - t.get("mean", 0)
    z = x @ t["rotation"].T if "rotation" in t else x
    h = z
    for l in range(config["depth"]):
        h = act(h @ t[f"hidden.{l}.weight"].T + t[f"hidden.{l}.bias"])
    y = z + h @ t["output.weight"].T + t["output.bias"]
    y = y[:, t["permutation"]] if "permutation" in t else y
    return y if m is None else y[:, :m] / np.linalg.norm(y[:, :m], axis=1, keepdims=True)


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main():
    ensure_venv(".venv-python", ["faiss-cpu", "numpy", "safetensors"])
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--threads", default="1,2")
    args = parser.parse_args()
    os.environ.setdefault("MATRYOSHKA_LIBRARY", os.path.join(ROOT, "python", "matryoshka", "libmatryoshka.so"))
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import faiss
    import numpy as np

    import matryoshka as mk

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.rows, 768), dtype=np.float32)
    queries = rng.standard_normal((args.queries, 768), dtype=np.float32)
    work = tempfile.mkdtemp(prefix="python-binding-")
    source, model = os.path.join(work, "x.npy"), os.path.join(work, "m.safetensors")
    np.save(source, x)
    np.save(os.path.join(work, "train.npy"), x[:20_000])
    subprocess.run([BINARY, "fit", "--corpus", os.path.join(work, "train.npy"), "--out", model, "--iterations", "100",
                    "--quiet"], check=True)
    adaptor = mk.Adaptor.load(model, progress=False)
    threads = [int(t) for t in args.threads.split(",")]
    m = 64
    # The same numbers from every road first (so the timings compare equal work).
    reference = adaptor.transform(x[:2000], dimension=m)
    assert np.allclose(apply_adaptor(model, x[:2000], m), reference, atol=1e-5)

    times = {}

    def record(name, seconds):
        times.setdefault(name, []).append(seconds)

    for _ in range(args.runs):
        for t in threads:
            adaptor.threads = t
            environment = dict(os.environ, OPENBLAS_NUM_THREADS="1")
            record(f"cli apply, {t} thread(s)", timed(lambda: subprocess.run(
                [BINARY, "apply", "--adaptor", model, "--input", source, "--output", os.path.join(work, "cli.npy"),
                 "--dimension", str(m), "--threads", str(t), "--quiet"], check=True, env=environment))[0])
            record(f"python file to file, {t} thread(s)", timed(
                lambda: np.save(os.path.join(work, "py.npy"), adaptor.transform(np.load(source), dimension=m)))[0])
            record(f"python transform, {t} thread(s)", timed(lambda: adaptor.transform(x, dimension=m))[0])
        record("numpy forward pass (OpenBLAS threads: default)", timed(lambda: apply_adaptor(model, x, m))[0])
    assert np.array_equal(np.load(os.path.join(work, "cli.npy")), np.load(os.path.join(work, "py.npy")))

    print(f"\ntransform of {args.rows:,} x 768 at m = {m} (median of {args.runs}; rows per second)\n")
    print("| road | seconds | rows/s |")
    print("|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.3f} | {args.rows / median:,.0f} |")

    faiss.omp_set_num_threads(1)
    search = {}
    indexes = {}
    for dimension in (32, 64):
        index = mk.Index(x, dimension=dimension, threads=1, progress=False)
        prefix = x[:, :dimension] / np.linalg.norm(x[:, :dimension], axis=1, keepdims=True)
        flat = faiss.IndexFlatIP(dimension)
        flat.add(prefix)
        embedded = queries[:, :dimension] / np.linalg.norm(queries[:, :dimension], axis=1, keepdims=True)
        ours_ids, _ = index.search(queries, k=10)
        _, faiss_ids = flat.search(embedded, 10)
        agree = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ours_ids, faiss_ids)]))
        indexes[dimension] = (index, flat, embedded)
        search[(dimension, "agreement")] = agree
    np.save(os.path.join(work, "queries.npy"), queries)
    for _ in range(args.runs):
        for dimension in (32, 64):
            index, flat, embedded = indexes[dimension]
            search.setdefault((dimension, "matryoshka Index.search"), []).append(timed(lambda: index.search(queries, k=10))[0])
            search.setdefault((dimension, "faiss IndexFlatIP"), []).append(timed(lambda: flat.search(embedded, 10))[0])
        # The Swift core alone (its FlatIndex on the prefixes, no binding), as benchmarks/search.py runs it.
        output = subprocess.run([BENCH, "search", "--docs", source, "--queries", os.path.join(work, "queries.npy"),
                                 "--dims", "32,64", "--k", "10", "--runs", "1", "--threads", "1"],
                                check=True, capture_output=True, text=True).stdout
        for row in map(json.loads, output.splitlines()):
            search.setdefault((row["m"], "swift core"), []).append(row["search_seconds"])
    print(f"\nsearch: {args.rows:,} documents, {args.queries:,} queries, top 10, one thread (queries per second)\n")
    print("| m | Index.search (Python) | Swift core (matryoshka-bench) | faiss IndexFlatIP (Python) | Python / faiss "
          "| core / faiss | top-10 agreement |")
    print("|---|---|---|---|---|---|---|")
    for dimension in (32, 64):
        ours = args.queries / statistics.median(search[(dimension, "matryoshka Index.search")])
        core = args.queries / statistics.median(search[(dimension, "swift core")])
        theirs = args.queries / statistics.median(search[(dimension, "faiss IndexFlatIP")])
        print(f"| {dimension} | {ours:,.0f} | {core:,.0f} | {theirs:,.0f} | {ours / theirs:.2f}x | {core / theirs:.2f}x "
              f"| {search[(dimension, 'agreement')]:.4f} |")
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "python_binding.json"), "w") as file:
        json.dump({"transform": times, "search": {f"{k[0]} {k[1]}": v for k, v in search.items()},
                   "faiss": faiss.__version__, "cpu": open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0]},
                  file, indent=1)


if __name__ == "__main__":
    main()
