#!/usr/bin/env python3
"""SMEC against the Matryoshka-Adaptor with equal training budgets, and SMEC without each of its parts.

Unsupervised on every shared data set (budget: 5,000 iterations each, the paper objective's schedule). SMEC
trains on the paper's objective, so the Matryoshka-Adaptor it is compared with is `fit --objective paper
--center off` (the unsupervised default before issue 14), not today's default, which BENCHMARKS.md compares
with PCA and the front map in its own section;
supervised on SciFact (train on qrels/train.tsv; budget 8,000 iterations, the Matryoshka-Adaptor's 5,000
stage-1 plus 3,000 stage-2 maximum). Scores: nDCG@10 x 100 on the test judgements at every m, ± the standard
error across queries, and the paired per-query difference SMEC - Matryoshka-Adaptor ± its standard error.

Usage: benchmarks/smec.py [--shared ../shared/data] [--sets ...]   (after `swift build -c release --product matryoshka`)
"""
import json
import math
import os
import subprocess

from common import BINARY, PAPER, ROOT, data_flags, shared_sets_arguments

ABLATIONS = [("SMEC", []), ("SMEC without ADS", ["--no-ads"]), ("SMEC without S-XBM", ["--no-xbm"]),
             ("SMEC without SMRL (joint)", ["--joint"])]


def fit_and_score(shared, name, path, flags):
    subprocess.run([BINARY, "fit", *data_flags(shared, name), "--out", path, "--quiet", *flags], check=True)
    out = subprocess.run([BINARY, "evaluate", *data_flags(shared, name), "--method", "adaptor", "--adaptor", path,
                          "--json", "--per-query", "--quiet"], check=True, capture_output=True, text=True).stdout
    return {r["dimension"]: {q["query"]: q["ndcg@10"] for q in r["per_query"]} for r in json.loads(out)["results"]}


def mean_se(values):
    n = len(values)
    mean = sum(values) / n
    se = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n) if n > 1 else 0
    return 100 * mean, 100 * se


def table(title, results, reference):
    dims = sorted(results[reference])
    print(f"\n#### {title}\n")
    print("| method | " + " | ".join(f"m={m}" for m in dims) + " |")
    print("|---|" + "---|" * len(dims))
    for label, scores in results.items():
        cells = [mean_se(list(scores[m].values())) for m in dims]
        print(f"| {label} | " + " | ".join(f"{mu:.2f} ± {se:.2f}" for mu, se in cells) + " |")
    for label in [l for l in results if l.startswith("SMEC")]:
        cells = []
        for m in dims:
            diff = [results[label][m][q] - results[reference][m][q] for q in results[reference][m]]
            mu, se = mean_se(diff)
            cells.append(f"{mu:+.2f} ± {se:.2f}")
        print(f"| {label} − Matryoshka-Adaptor (paired) | " + " | ".join(cells) + " |")


def main():
    args = shared_sets_arguments()
    out = os.path.join(ROOT, "benchmarks", "out", "smec")
    os.makedirs(out, exist_ok=True)
    for name in args.sets.split(","):
        stem = os.path.join(out, name.replace("/", "_"))
        results = {"Matryoshka-Adaptor": fit_and_score(args.shared, name, stem + "-ma.safetensors", PAPER)}
        for number, (label, flags) in enumerate(ABLATIONS):
            results[label] = fit_and_score(args.shared, name, f"{stem}-smec{number}.safetensors", ["--method", "smec", *flags])
        table(f"{name}, unsupervised (test)", results, "Matryoshka-Adaptor")
    if "scifact" in args.sets.split(","):
        stem = os.path.join(out, "scifact-supervised")
        results = {"Matryoshka-Adaptor": fit_and_score(args.shared, "scifact", stem + "-ma.safetensors", ["--supervised"])}
        for number, (label, flags) in enumerate(ABLATIONS):
            results[label] = fit_and_score(args.shared, "scifact", f"{stem}-smec{number}.safetensors",
                                           ["--method", "smec", "--supervised", "--iterations", "8000", *flags])
        table("scifact, supervised (train on qrels/train.tsv, test)", results, "Matryoshka-Adaptor")


if __name__ == "__main__":
    main()
