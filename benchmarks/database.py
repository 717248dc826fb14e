#!/usr/bin/env python3
"""Adapted vectors in PostgreSQL 18 + pgvector 0.8.6 (issue 12), against a throwaway server:

    scripts/postgres run -- python3 benchmarks/database.py [--shared ../shared/data] [--runs 3]

(after `swift build -c release`). Three parts, printed as markdown tables and written to benchmarks/out/pgvector.json:

1. HNSW on scifact (the unsupervised adaptor of `fit --objective paper --center off`, the default until issue 14): tables at m = 32 and 64 with the full 384-d vectors, an HNSW
   index (vector_ip_ops, pgvector's defaults m = 16, ef_construction = 64) on the prefix. For ef_search 40 and 100:
   recall@10 against exact search at m (`matryoshka search --dimension m`, which the postgres gate shows equal to
   PostgreSQL's own exact scan) and nDCG@10 on the 300 test queries; and the funnel (top 100 by the index,
   re-ranked by the stored full vectors in the same statement) next to exact search at 384.
2. Bulk load of 100,000 x 768 (benchmarks/out/synthetic-100k, from generate_corpus.py, with its adaptor) at
   m = 64 and 768, median of --runs, against the peer a Python user would write: psycopg 3 with the `pgvector`
   package, `COPY ... FROM STDIN WITH (FORMAT BINARY)` and `write_row` per row. Two tasks: the whole job (read the
   768-d input, adapt, load; the peer adapts each 8,192-row block with docs/model-file.md's numpy `apply_adaptor`) and the
   transport alone (vectors already adapted by `matryoshka apply`, loaded by `matryoshka load` without --adaptor
   and by the peer). Both create the table and load it in one transaction, on the same server, in the same run;
   `matryoshka load` is timed as a whole process (start-up, model and file reading included).
3. Table size on disk (`pg_total_relation_size`) of the 100k x 768 corpus at m = 32, 64, 128, 384, 768, as
   vector and halfvec, without and with an HNSW index (built with maintenance_work_mem = 2GB), next to the
   adaptor's label-free neighbour-recall@10 at that m (`evaluate --corpus`, 1,000 sampled queries).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER_PYTHON = os.environ.get("MATRYOSHKA_POSTGRES_PYTHON")
if PEER_PYTHON and os.path.realpath(sys.prefix) != os.path.realpath(os.path.dirname(os.path.dirname(PEER_PYTHON))):
    os.execv(PEER_PYTHON, [PEER_PYTHON] + sys.argv)

import numpy as np  # noqa: E402
import psycopg  # noqa: E402
from pgvector.psycopg import register_vector  # noqa: E402

# The models are `fit --objective paper --center off` (the unsupervised default until issue 14, which these
# tables were measured with): what is measured here is the database, and that model fits in seconds.
from common import PAPER  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "scripts", "gates"))
from postgres import ndcg10, read_qrels, read_run  # noqa: E402

BINARY = os.path.join(ROOT, ".build", "release", "matryoshka")
OUT = os.path.join(ROOT, "benchmarks", "out")


def run(*arguments, capture=False):
    return subprocess.run([BINARY, *arguments], check=True, capture_output=capture, text=True).stdout


def timed(*arguments):
    start = time.perf_counter()
    run(*arguments)
    return time.perf_counter() - start


def recall_at_10(approximate, exact, queries):
    found = [len({d for d, _ in approximate.get(q, [])[:10]} & {d for d, _ in exact[q][:10]}) / min(10, len(exact[q]))
             for q in queries]
    return sum(found) / len(found)


def hnsw_part(url, shared, results):
    data = os.path.join(shared, "scifact")
    model = os.path.join(OUT, "pgvector-scifact-paper.safetensors")
    if not os.path.exists(model):
        run("fit", "--data", data, "--out", model, "--quiet", *PAPER)
    qrels = read_qrels(os.path.join(data, "qrels", "test.tsv"))
    tests = list(qrels)
    full = json.loads(run("evaluate", "--data", data, "--method", "adaptor", "--adaptor", model, "--dims", "384,32,64",
                          "--neighbour-sample", "0", "--json", "--quiet", capture=True))
    exact_ndcg = {r["dimension"]: 100 * r["ndcg@10"] for r in full["results"]}
    rows = []
    for m in [32, 64]:
        exact_path = os.path.join(OUT, f"pg-exact-{m}.run")
        run("search", "--adaptor", model, "--data", data, "--dimension", str(m), "--output", exact_path, "--quiet")
        exact = read_run(exact_path)
        table = f"bench_scifact_{m}"
        build = timed("load", "--adaptor", model, "--data", data, "--dimension", str(m), "--full", "--index", "hnsw",
                      "--postgres", url, "--table", table, "--if-exists", "replace", "--quiet")
        for label, flags in [("HNSW, ef_search 40", ["--ef-search", "40"]), ("HNSW, ef_search 100", ["--ef-search", "100"]),
                             ("funnel: HNSW top 100 → full 384", ["--shortlist-size", "100"])]:
            path = os.path.join(OUT, f"pg-{m}-{len(rows)}.run")
            seconds = timed("search", "--adaptor", model, "--data", data, "--postgres", url, "--table", table,
                            "--output", path, *flags)
            found = read_run(path)
            row = {"m": m, "search": label, "recall@10": recall_at_10(found, exact, tests),
                   "ndcg@10": ndcg10(found, qrels), "exact_ndcg@10_at_m": exact_ndcg[m],
                   "exact_ndcg@10_at_384": exact_ndcg[384], "queries_per_second": len(found) / seconds,
                   "load_and_index_seconds": build}
            rows.append(row)
    results["hnsw"] = rows
    print("\n| m | search | recall@10 vs exact at m | nDCG@10 ×100 | exact at m | exact at 384 | queries/s (whole command) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['m']} | {r['search']} | {r['recall@10']:.3f} | {r['ndcg@10']:.2f} | {r['exact_ndcg@10_at_m']:.2f} | "
              f"{r['exact_ndcg@10_at_384']:.2f} | {r['queries_per_second']:,.0f} |")


def peer_load(url, ids, blocks, table, type_name, width):
    """What a Python user writes: psycopg 3 + pgvector, binary COPY with write_row, one transaction. `blocks` yields
    arrays of rows (already adapted, or adapted as they come)."""
    start = time.perf_counter()
    with psycopg.connect(url, autocommit=False) as connection:
        register_vector(connection)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE TABLE {table} (id text PRIMARY KEY, embedding {type_name}({width}))")
            with cursor.copy(f"COPY {table} (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
                copy.set_types(["text", type_name])
                row = 0
                for block in blocks:
                    for vector in block:
                        copy.write_row((ids[row], vector))
                        row += 1
        connection.commit()
    return time.perf_counter() - start


def readme_apply():
    """The numpy `apply_adaptor` of docs/model-file.md, executed as written (the Python user's forward pass)."""
    readme = open(os.path.join(ROOT, "docs", "model-file.md"), encoding="utf-8").read()
    block = next(b for b in readme.split("```python")[1:] if "def apply_adaptor" in b).split("```")[0]
    namespace = {}
    exec(block, namespace)
    return namespace["apply_adaptor"]


def load_part(url, runs, results):
    folder = os.path.join(OUT, "synthetic-100k")
    if not os.path.exists(os.path.join(folder, "corpus.f32.npy")):
        subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "generate_corpus.py"), "--rows", "100000",
                        "--out", folder], check=True)
    model = os.path.join(folder, "adaptor-paper.safetensors")
    if not os.path.exists(model):
        run("fit", "--corpus", os.path.join(folder, "corpus.f32.npy"), "--out", model, "--quiet", *PAPER)
    corpus, ids_path = os.path.join(folder, "corpus.f32.npy"), os.path.join(folder, "corpus_ids.txt")
    with open(ids_path) as f:
        ids = f.read().split("\n")[:-1]
    apply_adaptor = readme_apply()
    raw = np.load(corpus, mmap_mode="r")
    block_rows = 8192
    rows = []
    for m in [64, 768]:
        adapted = os.path.join(OUT, f"pg-adapted-{m}.npy")
        run("apply", "--adaptor", model, "--input", corpus, "--output", adapted, "--dimension", str(m), "--quiet")
        vectors = np.load(adapted, mmap_mode="r")
        timings = {"ours_adapt_and_load": [], "peer_adapt_and_load": [], "ours_load_adapted": [], "peer_load_adapted": []}
        for _ in range(runs):
            timings["ours_adapt_and_load"].append(timed(
                "load", "--adaptor", model, "--input", corpus, "--ids", ids_path, "--dimension", str(m), "--postgres", url,
                "--table", f"load_ours_{m}", "--if-exists", "replace", "--quiet"))
            timings["peer_adapt_and_load"].append(peer_load(
                url, ids, (apply_adaptor(model, np.asarray(raw[i:i + block_rows]), m) for i in range(0, len(ids), block_rows)),
                f"load_peer_{m}", "vector", m))
            timings["ours_load_adapted"].append(timed(
                "load", "--input", adapted, "--ids", ids_path, "--postgres", url, "--table", f"load_ours_{m}",
                "--if-exists", "replace", "--quiet"))
            timings["peer_load_adapted"].append(peer_load(url, ids, [vectors], f"load_peer_{m}", "vector", m))
        row = {"m": m, "rows": len(ids), "runs": timings}
        for key, values in timings.items():
            row[key + "_rows_per_second"] = len(ids) / statistics.median(values)
        rows.append(row)
    results["load"] = rows
    print("\n| 100,000 × 768 → m | task | matryoshka load | psycopg 3 + pgvector, COPY binary | ratio |\n|---|---|---|---|---|")
    for r in rows:
        for task, ours, peer in [("read, adapt, load", "ours_adapt_and_load", "peer_adapt_and_load"),
                                 ("load vectors already adapted", "ours_load_adapted", "peer_load_adapted")]:
            a, b = r[ours + "_rows_per_second"], r[peer + "_rows_per_second"]
            print(f"| {r['m']} | {task} | {a:,.0f} rows/s | {b:,.0f} rows/s | {a / b:.2f}× |")


def size_part(url, results):
    folder = os.path.join(OUT, "synthetic-100k")
    model = os.path.join(folder, "adaptor-paper.safetensors")  # written by the load part
    corpus, ids_path = os.path.join(folder, "corpus.f32.npy"), os.path.join(folder, "corpus_ids.txt")
    sizes = [32, 64, 128, 384, 768]
    evaluated = json.loads(run("evaluate", "--corpus", corpus, "--method", "adaptor", "--adaptor", model, "--dims",
                               ",".join(map(str, sizes)), "--json", "--quiet", capture=True))
    recall = {r["dimension"]: r["neighbour-recall@10"] for r in evaluated["results"]}
    rows = []
    with psycopg.connect(url, autocommit=True) as connection:
        for m in sizes:
            for type_name in ["vector", "halfvec"]:
                table = f"size_{type_name}_{m}"
                run("load", "--adaptor", model, "--input", corpus, "--ids", ids_path, "--dimension", str(m), "--type",
                    type_name, "--postgres", url, "--table", table, "--if-exists", "replace", "--quiet")
                connection.execute(f"VACUUM ANALYZE {table}")
                plain = connection.execute(f"SELECT pg_total_relation_size('{table}')").fetchone()[0]
                connection.execute("SET maintenance_work_mem = '2GB'")
                start = time.perf_counter()
                connection.execute(f"CREATE INDEX ON {table} USING hnsw (embedding {type_name}_ip_ops)")
                build = time.perf_counter() - start
                indexed = connection.execute(f"SELECT pg_total_relation_size('{table}')").fetchone()[0]
                connection.execute(f"DROP TABLE {table}")
                rows.append({"m": m, "type": type_name, "bytes": plain, "bytes_with_hnsw": indexed,
                             "hnsw_build_seconds": build, "neighbour_recall@10": recall[m]})
    results["sizes"] = rows
    print("\n| m | type | table (no index) | with HNSW | HNSW build | neighbour-recall@10 of the adaptor at m |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['m']} | {r['type']} | {r['bytes'] / 2**20:.1f} MB | {r['bytes_with_hnsw'] / 2**20:.1f} MB | "
              f"{r['hnsw_build_seconds']:.1f} s | {r['neighbour_recall@10']:.3f} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--parts", default="hnsw,load,sizes")
    args = parser.parse_args()
    url = os.environ.get("MATRYOSHKA_POSTGRES_URL")
    if not url:
        sys.exit("run through scripts/postgres run -- (MATRYOSHKA_POSTGRES_URL is not set)")
    os.makedirs(OUT, exist_ok=True)
    results = {}
    parts = args.parts.split(",")
    if "hnsw" in parts:
        hnsw_part(url, args.shared, results)
    if "load" in parts:
        load_part(url, args.runs, results)
    if "sizes" in parts:
        size_part(url, results)
    with open(os.path.join(OUT, "pgvector.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
