#!/usr/bin/env python3
"""nDCG@10 x 100 at every m for truncation, PCA and unsupervised adaptors (the default and earlier variants) on
the shared data sets' judgements, with the default's paired per-query difference from PCA, from the front map
alone and from the residual-only default before the rotation stage (mean ± standard error over queries). Adaptors are trained on corpus vectors only, with the default settings
apart from the flags named in each row; nothing is tuned on the test judgements.

Usage: benchmarks/unsupervised.py [--shared ../shared/data] [--sets scifact,dbpedia-entity-5k,cisi,cisi/models/all-mpnet-base-v2]
                                  [--split test|train] [--reuse]
VARIANTS=0,1,7 runs only those variants (numbers below). --reuse evaluates models already in benchmarks/out/models/
(for --split train after a test run). Needs `swift build -c release --product matryoshka`.
"""
import json
import math
import os
import subprocess
import time

from common import BINARY, PAPER, ROOT, data_flags, shared_sets_arguments

VARIANTS = [
    ("default (rotation, then residual: distill, headroom size weights, preservation λ = 3, automatic centring)", []),
    ("front map alone (paper objective; fidelity selection keeps iteration 0)", PAPER),
    ("principal axes, paper objective, objective selection", [*PAPER, "--selection", "objective"]),
    ("identity start (paper), objective selection", [*PAPER, "--rotation", "identity", "--selection", "objective"]),
    ("identity start (paper), fidelity selection", [*PAPER, "--rotation", "identity"]),
    ("distill, uniform size weights, not centred (the earlier option)",
     ["--size-weighting", "uniform", "--center", "off", "--preserve-weight", "0", "--form", "residual"]),
    ("default without the preservation term", ["--preserve-weight", "0"]),
    ("residual only (the default before the rotation stage)", ["--form", "residual"]),
]
DEFAULT, FRONT_MAP, BEFORE = VARIANTS[0][0], VARIANTS[1][0], VARIANTS[7][0]


def evaluate(shared, name, split, method, extra=()):
    """{m: (nDCG@10, {query: nDCG@10})}."""
    out = subprocess.run([BINARY, "evaluate", *data_flags(shared, name), "--method", method, "--split", split,
                          "--dims", dimensions(shared, name), "--json", "--per-query", "--quiet", *extra],
                         check=True, capture_output=True, text=True).stdout
    return {r["dimension"]: (r["ndcg@10"] * 100, {q["query"]: q["ndcg@10"] * 100 for q in r["per_query"]})
            for r in json.loads(out)["results"]}


def dimensions(shared, name):
    header = open(os.path.join(shared, name, "corpus.f32.npy"), "rb").read(256).decode("latin1")
    d = int(header.split("'shape': (")[1].split(")")[0].split(",")[1])
    sizes = [16, 32, 64, 128, 192, 256] + ([512] if d > 512 else []) + [d]
    return ",".join(str(m) for m in sizes if m <= d)


def paired(a, b):
    """Mean and standard error of the per-query difference a − b."""
    differences = [a[q] - b[q] for q in a]
    n = len(differences)
    mean = sum(differences) / n
    variance = sum((x - mean) ** 2 for x in differences) / (n - 1)
    return mean, math.sqrt(variance / n)


def main():
    def configure(parser):
        parser.add_argument("--split", default="test", help="qrels split to score (test, or train for scifact)")
        parser.add_argument("--reuse", action="store_true", help="evaluate models already in benchmarks/out/models/")
    args = shared_sets_arguments(configure)
    split, reuse = args.split, args.reuse
    only = os.environ.get("VARIANTS")
    models = os.path.join(ROOT, "benchmarks", "out", "models")
    os.makedirs(models, exist_ok=True)
    for name in args.sets.split(","):
        rows = [("truncation", evaluate(args.shared, name, split, "truncate")),
                ("PCA", evaluate(args.shared, name, split, "pca"))]
        for number, (label, flags) in enumerate(VARIANTS):
            if only is not None and str(number) not in only.split(","):
                continue
            path = os.path.join(models, f"{name.replace('/', '_')}-{number}.safetensors")
            if not (reuse and os.path.exists(path)):
                start = time.monotonic()
                log = subprocess.run([BINARY, "fit", *data_flags(args.shared, name), "--out", path, *flags],
                                     check=True, capture_output=True, text=True).stderr
                print(f"{name}, {label}: fit in {time.monotonic() - start:.1f} s")
                for line in log.replace("\r", "\n").splitlines():
                    if line.startswith(("mean cosine", "size weights", "preservation", "held-out fidelity", "kept iteration")):
                        print(f"{name}, {label}: {line}")
            rows.append((label, evaluate(args.shared, name, split, "adaptor", ["--adaptor", path])))
        dims = list(rows[0][1])
        print(f"\n### {name} ({split})\n")
        print("| method | " + " | ".join(f"m={m}" for m in dims) + " |")
        print("|---|" + "---|" * len(dims))
        for label, result in rows:
            print(f"| {label} | " + " | ".join(f"{result[m][0]:.2f}" for m in dims) + " |")
        table = dict(rows)
        if DEFAULT in table:
            for other in ("PCA", FRONT_MAP, BEFORE):
                if other in table:
                    cells = [paired(table[DEFAULT][m][1], table[other][m][1]) for m in dims]
                    print(f"| default − {other.split(' (')[0]}, paired | "
                          + " | ".join(f"{mean:+.2f} ± {se:.2f}" for mean, se in cells) + " |")
            if FRONT_MAP in table:
                best = [max(table["PCA"][m][0], table[FRONT_MAP][m][0]) for m in dims]
                print("| default − max(PCA, front map) | "
                      + " | ".join(f"{table[DEFAULT][m][0] - b:+.2f}" for m, b in zip(dims, best)) + " |")


if __name__ == "__main__":
    main()
