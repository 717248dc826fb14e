#!/usr/bin/env python3
"""Do the label-free signals and the judgements agree on what the unsupervised default trades?
(docs/unsupervised-default.md, "Where it falls short").

For every shared set, at every m: the default's difference from PCA and from the front map alone in
neighbour-recall@10 of the set's own query vectors (no judgements: how much of each query's top 10 under the full
vectors, in the geometry the default trains in, its top 10 at size m recovers) and in nDCG@10 on the judged split
(mean ± paired standard error over queries), and whether the two differences have the same sign. Nothing is
chosen here; the table says where a label-free signal can and cannot stand in for judgements.

--sizes192: scifact's default fitted with m = 192 among its training sizes, against the default, on the train
split (the design data) and with the corpus documents as neighbour queries (what `fit`'s held-out fidelity uses).

Usage: benchmarks/signal_agreement.py [--shared ../shared/data] [--sets ...] [--split test|train] [--sizes192]
Uses the models of `VARIANTS=0,1 python3 unsupervised.py` in benchmarks/out/models/ (fits them when absent).
Needs `swift build -c release --product matryoshka`.
"""
import json
import os
import subprocess

from common import BINARY, ROOT, data_flags, shared_sets_arguments
from unsupervised import VARIANTS, dimensions, paired

MODELS = os.path.join(ROOT, "benchmarks", "out", "models")


def model(shared, name, tag, flags):
    """The path of a fitted model, fitting it (`fit <flags>`) when it is not there yet."""
    path = os.path.join(MODELS, f"{name.replace('/', '_')}-{tag}.safetensors")
    if not os.path.exists(path):
        os.makedirs(MODELS, exist_ok=True)
        subprocess.run([BINARY, "fit", *data_flags(shared, name), "--out", path, "--quiet", *flags], check=True)
    return path


def query_flags(shared, name):
    """`--query-vectors` / `--query-ids` for the set's own queries (the model's vectors for a models/ set)."""
    folder, _, variant = name.partition("/models/")
    vectors = os.path.join(shared, folder, *(["models", variant] if variant else []), "queries.f32.npy")
    return ["--query-vectors", vectors, "--query-ids", os.path.join(shared, folder, "query_ids.txt")]


def evaluate(shared, name, split, method, extra, dims):
    """{m: (neighbour-recall@10 × 100, {query: nDCG@10 × 100})}."""
    out = subprocess.run([BINARY, "evaluate", *data_flags(shared, name), "--method", method, "--split", split,
                          "--dims", dims, "--reference", "auto", "--json", "--per-query", "--quiet", *extra],
                         check=True, capture_output=True, text=True).stdout
    return {r["dimension"]: (r["neighbour-recall@10"] * 100, {q["query"]: q["ndcg@10"] * 100 for q in r["per_query"]})
            for r in json.loads(out)["results"]}


def mean(scores):
    return sum(scores.values()) / len(scores)


def compare(title, dims, rows, subject, against):
    """Prints the differences of row `subject` from each row named in `against`."""
    print(f"\n### {title}\n")
    print(f"| {subject} − | signal | " + " | ".join(f"m={m}" for m in dims) + " |")
    print("|---|---|" + "---|" * len(dims))
    default = rows[subject]
    for other in against:
        recall = [default[m][0] - rows[other][m][0] for m in dims]
        ndcg = [paired(default[m][1], rows[other][m][1]) for m in dims]
        agree = ["yes" if r * n > 0 else "no" for r, (n, _) in zip(recall, ndcg)]
        print(f"| {other} | neighbour-recall@10 | " + " | ".join(f"{r:+.1f}" for r in recall) + " |")
        print(f"| {other} | nDCG@10, paired | " + " | ".join(f"{n:+.2f} ± {s:.2f}" for n, s in ndcg) + " |")
        print(f"| {other} | same sign | " + " | ".join(agree) + " |")


def main():
    def configure(parser):
        parser.add_argument("--split", default="test", help="qrels split to score (test, or train for scifact)")
        parser.add_argument("--sizes192", action="store_true",
                            help="also fit scifact's default with m = 192 among its sizes (about 3 minutes)")
    args = shared_sets_arguments(configure)
    agreeing, cells = 0, 0
    for name in args.sets.split(","):
        dims = dimensions(args.shared, name)
        sizes = [int(m) for m in dims.split(",")]
        queries = query_flags(args.shared, name)
        rows = {"PCA": evaluate(args.shared, name, args.split, "pca", queries, dims)}
        for tag, label in ((0, "default"), (1, "front map")):
            path = model(args.shared, name, tag, VARIANTS[tag][1])
            rows[label] = evaluate(args.shared, name, args.split, "adaptor", ["--adaptor", path, *queries], dims)
        compare(f"{name} ({args.split}; neighbour queries: the set's query vectors)", sizes, rows, "default",
                ("PCA", "front map"))
        # The gate's baseline at each m: the better of PCA and the front map in nDCG@10.
        line = []
        for m in sizes:
            best = max(("PCA", "front map"), key=lambda label: mean(rows[label][m][1]))
            recall = rows["default"][m][0] - rows[best][m][0]
            ndcg = mean(rows["default"][m][1]) - mean(rows[best][m][1])
            agreeing, cells = agreeing + (recall * ndcg > 0), cells + 1
            line.append(f"m={m} vs {best}: {recall:+.1f} / {ndcg:+.2f}{'' if recall * ndcg > 0 else ' (signs differ)'}")
        print("\nAgainst the better baseline (neighbour recall / nDCG): " + "; ".join(line))
    print(f"\nAgainst the better of PCA and the front map at each m (the gate's baseline), neighbour-recall@10 and "
          f"nDCG@10 differences have the same sign in {agreeing} of {cells} (set, size) cells.")
    if args.sizes192:
        name, dims = "scifact", dimensions(args.shared, "scifact")
        sizes = "16,32,64,128,192,256,384"
        rows = {"with 192": ("--adaptor", model(args.shared, name, "sizes192", ["--sizes", sizes])),
                "default": ("--adaptor", model(args.shared, name, 0, VARIANTS[0][1]))}
        rows = {label: evaluate(args.shared, name, "train", "adaptor", list(flags), dims)
                for label, flags in rows.items()}
        compare(f"scifact (train), the default trained with --sizes {sizes}; neighbour queries: 1,000 corpus "
                "documents", [int(m) for m in dims.split(",")], rows, "with 192", ("default",))


if __name__ == "__main__":
    main()
