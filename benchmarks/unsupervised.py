#!/usr/bin/env python3
"""nDCG@10 x 100 at every m for truncation, PCA and unsupervised adaptors (several starts and selection
signals) on the shared data sets' test judgements. Adaptors are trained on corpus vectors only, with the
default settings apart from the flags named in each row; nothing is tuned on the test judgements.

Usage: benchmarks/unsupervised.py [--shared ../shared/data] [--sets scifact,dbpedia-entity-5k,cisi,cisi/models/all-mpnet-base-v2]
Needs `swift build -c release --product matryoshka`. Models go to benchmarks/out/models/.
"""
import json
import os
import subprocess
import time

from common import BINARY, ROOT, data_flags, shared_sets_arguments

PAPER = ["--objective", "paper", "--center", "off"]  # the defaults before issue 14
VARIANTS = [
    ("adaptor (default: distill, headroom size weights, automatic centring)", []),
    ("front map alone (before issue 14: paper objective, fidelity selection keeps iteration 0)", PAPER),
    ("adaptor, principal axes, paper objective, objective selection", [*PAPER, "--selection", "objective"]),
    ("adaptor, identity start (paper), objective selection", [*PAPER, "--rotation", "identity", "--selection", "objective"]),
    ("adaptor, identity start (paper), fidelity selection", [*PAPER, "--rotation", "identity"]),
    ("adaptor, distill, uniform size weights, not centred (the earlier option)", ["--size-weighting", "uniform", "--center", "off"]),
]


def evaluate(shared, name, method, extra=()):
    out = subprocess.run([BINARY, "evaluate", *data_flags(shared, name), "--method", method, "--json", *extra],
                         check=True, capture_output=True, text=True).stdout
    return {r["dimension"]: (r["ndcg@10"] * 100, r["ndcg@10_stderr"] * 100) for r in json.loads(out)["results"]}


def main():
    args = shared_sets_arguments()
    only = os.environ.get("VARIANTS")  # e.g. VARIANTS=4 runs only the fifth variant (and the baselines)
    models = os.path.join(ROOT, "benchmarks", "out", "models")
    os.makedirs(models, exist_ok=True)
    for name in args.sets.split(","):
        rows = [("truncation", evaluate(args.shared, name, "truncate")), ("PCA", evaluate(args.shared, name, "pca"))]
        for number, (label, flags) in enumerate(VARIANTS):
            if only is not None and str(number) not in only.split(","):
                continue
            path = os.path.join(models, f"{name.replace('/', '_')}-{number}.safetensors")
            start = time.monotonic()
            log = subprocess.run([BINARY, "fit", *data_flags(args.shared, name), "--out", path, *flags],
                                 check=True, capture_output=True, text=True).stderr
            print(f"{name}, {label}: fit in {time.monotonic() - start:.1f} s")
            kept = next(line for line in log.splitlines() if line.startswith("kept iteration"))
            rows.append((f"{label} [{kept.split(' (')[0]}]", evaluate(args.shared, name, "adaptor", ["--adaptor", path])))
            for line in log.splitlines():
                if line.startswith(("mean cosine", "size weights")):
                    print(f"{name}, {label}: {line}")
        dims = list(rows[0][1])
        print(f"\n### {name} (test)\n")
        print("| method | " + " | ".join(f"m={m}" for m in dims) + " |")
        print("|---|" + "---|" * len(dims))
        for label, result in rows:
            print(f"| {label} | " + " | ".join(f"{result[m][0]:.2f}" for m in dims) + " |")


if __name__ == "__main__":
    main()
