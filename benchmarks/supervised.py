#!/usr/bin/env python3
"""The supervised comparison on SciFact (train on qrels/train.tsv, score on qrels/test.tsv): truncation, PCA,
the unsupervised adaptor, Search-Adaptor and the two-stage supervised adaptor at every m, nDCG@10 x 100 with
per-query standard errors; the smallest lossless m of each; the same on the test queries none of whose
relevant documents is relevant to any train query; and how much of its own 384-d score each m keeps.

Usage: benchmarks/supervised.py [--shared ../shared/data]   (after `swift build -c release --product matryoshka`)
All models use default settings, except the unsupervised adaptor: `fit --objective paper --center off`, the
supervised adaptor's own stage 1 (and the unsupervised default before issue 14); nothing is tuned on the test
judgements.
"""
import argparse
import json
import os
import subprocess

from common import BINARY, PAPER, ROOT

DIMS = "16,32,64,128,192,256,384"


def read_qrels(path):
    judged = {}
    for line in open(path, encoding="utf-8").read().splitlines()[1:]:
        query, doc, grade = line.split("\t")
        judged.setdefault(query, {})[doc] = int(grade)
    return judged


def evaluate(data, method, model=None, subset=None):
    command = [BINARY, "evaluate", "--data", data, "--method", method, "--dims", DIMS, "--json"]
    command += ["--adaptor", model] if model else []
    command += ["--query-subset", subset] if subset else []
    rows = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    return rows["judged_queries"], {r["dimension"]: (r["ndcg@10"] * 100, r["ndcg@10_stderr"] * 100) for r in rows["results"]}


def table(title, results, reference):
    dims = list(next(iter(results.values())))
    print(f"\n{title}\n")
    print("| method | " + " | ".join(f"m={m}" for m in dims) + " | smallest lossless m |")
    print("|---|" + "---|" * (len(dims) + 1))
    for name, scores in results.items():
        lossless = next((m for m in dims if scores[m][0] >= reference), None)
        cells = " | ".join(f"{scores[m][0]:.2f} ± {scores[m][1]:.2f}" for m in dims)
        print(f"| {name} | {cells} | {lossless if lossless else 'none'} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "data"))
    args = parser.parse_args()
    data = os.path.join(args.shared, "scifact")
    out = os.path.join(ROOT, "benchmarks", "out", "supervised")
    os.makedirs(out, exist_ok=True)
    models = {
        "unsupervised adaptor": PAPER,
        "Search-Adaptor": ["--method", "search-adaptor"],
        "supervised adaptor (two stages)": ["--supervised"],
    }
    paths = {}
    for name, flags in models.items():
        paths[name] = os.path.join(out, name.split(" ")[0].lower() + ".safetensors")
        log = subprocess.run([BINARY, "fit", "--data", data, "--out", paths[name], *flags],
                             check=True, capture_output=True, text=True).stderr
        print(f"{name}: " + "; ".join(line for line in log.splitlines() if line.startswith("kept")))

    train, test = read_qrels(f"{data}/qrels/train.tsv"), read_qrels(f"{data}/qrels/test.tsv")
    train_relevant = {doc for docs in train.values() for doc, grade in docs.items() if grade > 0}
    fresh = [q for q, docs in test.items() if not any(d in train_relevant and g > 0 for d, g in docs.items())]
    subset = os.path.join(out, "test-queries-without-train-overlap.txt")
    open(subset, "w").write("".join(q + "\n" for q in fresh))
    overlap = len({d for docs in test.values() for d, g in docs.items() if g > 0} & train_relevant)
    print(f"\n{overlap} of the documents relevant to test queries are relevant to some train query; "
          f"{len(fresh)} of {len(test)} test queries have no such document")

    for label, chosen in [("all 300 test queries", None), (f"the {len(fresh)} test queries without train overlap", subset)]:
        results = {"truncation": evaluate(data, "truncate", subset=chosen)[1], "PCA": evaluate(data, "pca", subset=chosen)[1]}
        for name, path in paths.items():
            results[name] = evaluate(data, "adaptor", path, chosen)[1]
        reference = results["truncation"][384][0]
        table(f"#### nDCG@10 x 100 ± standard error, {label} (original 384-d: {reference:.2f})", results, reference)
        print(f"\nShare of its own 384-d nDCG@10 kept at each m ({label}):\n")
        dims = list(results["truncation"])
        print("| method | " + " | ".join(f"m={m}" for m in dims) + " |")
        print("|---|" + "---|" * len(dims))
        for name in ["Search-Adaptor", "supervised adaptor (two stages)"]:
            own = results[name][384][0]
            print(f"| {name} | " + " | ".join(f"{100 * results[name][m][0] / own:.1f} %" for m in dims) + " |")


if __name__ == "__main__":
    main()
