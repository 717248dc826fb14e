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
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
