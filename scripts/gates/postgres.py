#!/usr/bin/env python3
"""Gate for `matryoshka load` and `search --postgres` (issue 12) on ../shared/data/scifact, against a real
PostgreSQL 18 + pgvector started by scripts/postgres (run as `scripts/postgres run -- scripts/gates/postgres.py
BINARY SHARED WORK`; MATRYOSHKA_POSTGRES_URL names the server).

The corpus, adapted by the default unsupervised model and cut to m = 64, is loaded with no index (so PostgreSQL
scans exactly) and every query is searched there; the same queries go through `matryoshka search --dimension 64`
in memory. Passes when, for every test query, both give the same top 10 (documents whose scores tie within 1e-5
may swap, and the last tie group may be cut differently), and their nDCG@10 (x100, test judgements) agree to 0.01.
The nDCG here is computed in this script (trec_eval's formula: gain = grade, discount log2(rank + 1), ideal from
the judged grades); it is first checked against `matryoshka evaluate --method adaptor --dims 64` on the in-memory
run, so the two numbers are on one scale.

Then the binary codes (issue 31): the corpus's 256-bit codes (the model's calibration) in a bit(256) column with an
HNSW bit_hamming_ops index and the full 384-d vectors beside them, searched by the funnel in one statement (the top
100 by Hamming distance through the index with every row tied with the 100th, at the default hnsw.ef_search of 400
for a bit table, re-ranked by the full vectors); the same funnel in memory is
`matryoshka search --dimension 256 --precision binary --scoring hamming --rescore 100`. Passes when at least 99 % of
the test queries get the same top 10. It also prints the size on disk (pg_total_relation_size) of the size-256
column with its HNSW index as bit, halfvec and vector.
"""
import json
import math
import os
import subprocess
import sys


def read_run(path):
    """query -> [(doc, score)] in rank order."""
    run = {}
    with open(path) as f:
        for line in f:
            query, _, doc, rank, score, _ = line.split()
            run.setdefault(query, []).append((int(rank), doc, float(score)))
    return {q: [(d, s) for _, d, s in sorted(rows)] for q, rows in run.items()}


def read_qrels(path):
    qrels = {}
    with open(path) as f:
        next(f)
        for line in f:
            query, doc, grade = line.rstrip("\n").split("\t")
            if int(grade) > 0:
                qrels.setdefault(query, {})[doc] = int(grade)
    return qrels


def ndcg10(run, qrels):
    total = 0.0
    for query, judged in qrels.items():
        ranked = run.get(query, [])[:10]
        dcg = sum(judged.get(doc, 0) / math.log2(rank + 2) for rank, (doc, _) in enumerate(ranked))
        ideal = sum(grade / math.log2(rank + 2) for rank, grade in enumerate(sorted(judged.values(), reverse=True)[:10]))
        total += dcg / ideal if ideal > 0 else 0.0
    return 100 * total / len(qrels)


def tie_groups(ranked, tolerance=1e-5):
    """The ranking as groups of documents whose scores tie (sorted ids per group)."""
    groups = []
    for doc, score in ranked:
        if groups and abs(groups[-1][0] - score) <= tolerance:
            groups[-1][1].append(doc)
        else:
            groups.append([score, [doc]])
    return [sorted(ids) for _, ids in groups]


def same_top10(a, b):
    ga, gb = tie_groups(a[:10]), tie_groups(b[:10])
    if len(ga) != len(gb):
        return False
    # Every group but the last must hold the same documents; the last may be cut at 10 differently.
    return ga[:-1] == gb[:-1] and len(ga[-1]) == len(gb[-1])


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    binary, shared, work = sys.argv[1:]
    url = os.environ.get("MATRYOSHKA_POSTGRES_URL")
    if not url:
        sys.exit("postgres gate: MATRYOSHKA_POSTGRES_URL is not set; run it through scripts/postgres run --")
    data = os.path.join(shared, "scifact")
    os.makedirs(work, exist_ok=True)
    model = os.path.join(work, "scifact-unsupervised.safetensors")
    if not os.path.exists(model):
        subprocess.run([binary, "fit", "--data", data, "--out", model, "--quiet"], check=True)
    table = "gate_scifact_64"
    subprocess.run([binary, "load", "--adaptor", model, "--data", data, "--dimension", "64", "--postgres", url,
                    "--table", table, "--if-exists", "replace", "--quiet"], check=True)
    in_database, in_memory = os.path.join(work, "pg-64.run"), os.path.join(work, "memory-64.run")
    subprocess.run([binary, "search", "--adaptor", model, "--data", data, "--postgres", url, "--table", table,
                    "--output", in_database, "--quiet"], check=True)
    subprocess.run([binary, "search", "--adaptor", model, "--data", data, "--dimension", "64", "--output", in_memory,
                    "--quiet"], check=True)
    qrels = read_qrels(os.path.join(data, "qrels", "test.tsv"))
    database_run, memory_run = read_run(in_database), read_run(in_memory)
    evaluated = json.loads(subprocess.run([binary, "evaluate", "--data", data, "--method", "adaptor", "--adaptor", model,
                                           "--dims", "64", "--neighbour-sample", "0", "--json", "--quiet"],
                                          check=True, capture_output=True, text=True).stdout)
    reference = 100 * evaluated["results"][0]["ndcg@10"]
    memory_score, database_score = ndcg10(memory_run, qrels), ndcg10(database_run, qrels)
    failures = []
    if abs(memory_score - reference) > 1e-3:
        failures.append(f"this script's nDCG@10 of the in-memory run ({memory_score:.4f}) differs from evaluate's "
                        f"({reference:.4f})")
    differing = [q for q in qrels if not same_top10(database_run.get(q, []), memory_run.get(q, []))]
    if differing:
        failures.append(f"{len(differing)} of {len(qrels)} test queries have another top 10 in PostgreSQL, e.g. {differing[0]}")
    if abs(database_score - memory_score) > 0.01:
        failures.append(f"nDCG@10 differs by {database_score - memory_score:+.4f}")
    print(f"postgres gate: scifact at m = 64 loaded into PostgreSQL + pgvector, exact search (no index): "
          f"{len(qrels) - len(differing)}/{len(qrels)} test queries with the same top 10 as matryoshka search; "
          f"nDCG@10 x 100 {database_score:.2f} in PostgreSQL, {memory_score:.2f} in memory (evaluate: {reference:.2f}) "
          + ("PASS" if not failures else "FAIL: " + "; ".join(failures)))
    return 1 if failures or binary_codes(binary, data, work, url, model, qrels) else 0


def binary_codes(binary, data, work, url, model, qrels):
    """The bit(256) + HNSW + full re-rank funnel against the same funnel in memory; returns whether it failed."""
    table = "gate_scifact_bit_256"
    subprocess.run([binary, "load", "--adaptor", model, "--data", data, "--dimension", "256", "--type", "bit", "--full",
                    "--index", "hnsw", "--postgres", url, "--table", table, "--if-exists", "replace", "--quiet"],
                   check=True)
    in_database, in_memory = os.path.join(work, "pg-bit-256.run"), os.path.join(work, "memory-bit-256.run")
    subprocess.run([binary, "search", "--adaptor", model, "--data", data, "--postgres", url, "--table", table,
                    "--shortlist-size", "100", "--output", in_database, "--quiet"], check=True)
    subprocess.run([binary, "search", "--adaptor", model, "--data", data, "--dimension", "256", "--precision", "binary",
                    "--scoring", "hamming", "--rescore", "100", "--output", in_memory, "--quiet"], check=True)
    database_run, memory_run = read_run(in_database), read_run(in_memory)
    same = sum(same_top10(database_run.get(q, []), memory_run.get(q, [])) for q in qrels)
    sizes = {"bit": table_size(url, table, "embedding")}
    for type_name in ["halfvec", "vector"]:
        other = f"gate_scifact_{type_name}_256"
        subprocess.run([binary, "load", "--adaptor", model, "--data", data, "--dimension", "256", "--type", type_name,
                        "--index", "hnsw", "--postgres", url, "--table", other, "--if-exists", "replace", "--quiet"],
                       check=True)
        sizes[type_name] = table_size(url, other, "embedding")
    failed = same < 0.99 * len(qrels)
    print(f"postgres gate: scifact's 256-bit codes in bit(256) + HNSW, top 100 re-ranked by the full vectors in one "
          f"statement: {same}/{len(qrels)} test queries with the same top 10 as the funnel in memory "
          f"(nDCG@10 x 100 {ndcg10(database_run, qrels):.2f} in PostgreSQL, {ndcg10(memory_run, qrels):.2f} in memory); "
          "the size-256 column with its HNSW index on disk: "
          + ", ".join(f"{name} {size / 2**20:.2f} MiB" for name, size in sizes.items())
          + (" PASS" if not failed else " FAIL: fewer than 99 % of the queries agree"))
    return failed


def table_size(url, table, column):
    """The column's values (pg_column_size summed) plus the table's indexes other than the id key, in bytes."""
    query = (f"SELECT (SELECT sum(pg_column_size({column}))::bigint FROM {table}) + (SELECT coalesce(sum("
             f"pg_relation_size(indexrelid)), 0)::bigint FROM pg_index WHERE indrelid = '{table}'::regclass "
             "AND NOT indisprimary)")
    psql = os.path.join(os.environ["MATRYOSHKA_POSTGRES_BIN"], "psql")
    out = subprocess.run([psql, url, "-At", "-c", query], check=True, capture_output=True, text=True).stdout
    return int(out.strip())


if __name__ == "__main__":
    sys.exit(main())
