#!/usr/bin/env python3
"""Does sampling anchors cost quality where it can be checked? On a shared set with test judgements (default
scifact), fit the default unsupervised adaptor twice: with the default anchors (every training row of a small
corpus) and with the anchors forced small (--anchors 2000), and score both on the test judgements at every m.

Prints nDCG@10 x 100 of both, the difference, the full fit's standard error over queries, and the paired
standard error of the per-query difference; a size passes when |difference| <= the full fit's standard error.
Nothing is tuned here: the two fits differ only in --anchors.

Usage: benchmarks/anchors.py [--shared ../shared/data] [--set scifact] [--anchors 2000]   (after `swift build -c release`)
"""
import argparse
import json
import math
import os
import subprocess

from common import BINARY, ROOT, data_flags

OUT = os.path.join(ROOT, "benchmarks", "out")


def evaluate(flags, model):
    output = subprocess.run([BINARY, "evaluate", *flags, "--method", "adaptor", "--adaptor", model, "--json",
                             "--per-query", "--neighbour-sample", "0", "--quiet"],
                            capture_output=True, text=True, check=True).stdout
    return {row["dimension"]: row for row in json.loads(output)["results"]}


def per_query(row):
    return {q["query"]: q["ndcg@10"] for q in row["per_query"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("--set", default="scifact")
    parser.add_argument("--anchors", type=int, default=2000)
    parser.add_argument("--fit-flags", default="", help="further fit flags for both fits, e.g. '--objective distill'")
    args = parser.parse_args()
    flags = data_flags(args.shared, args.set)
    os.makedirs(OUT, exist_ok=True)
    models = {}
    for label, extra in [("full", []), (f"{args.anchors} anchors", ["--anchors", str(args.anchors)])]:
        models[label] = os.path.join(OUT, f"anchors-{args.set.replace('/', '-')}-{label.split()[0]}.safetensors")
        subprocess.run([BINARY, "fit", *flags, "--out", models[label], "--quiet", *args.fit_flags.split(), *extra],
                       check=True)
    full, small = (evaluate(flags, models[label]) for label in models)
    print(f"{args.set}, test judgements: nDCG@10 x 100, full fit against --anchors {args.anchors}"
          f"{' (' + args.fit_flags + ')' if args.fit_flags else ''}\n")
    print("| m | full fit | sampled | difference | full fit's SE | paired SE | within one SE |")
    print("|---|---|---|---|---|---|---|")
    passed = True
    for m in sorted(full):
        a, b = per_query(full[m]), per_query(small[m])
        differences = [b[q] - a[q] for q in a]
        n = len(differences)
        mean = sum(differences) / n
        paired = math.sqrt(sum((x - mean) ** 2 for x in differences) / (n - 1) / n)
        se = full[m]["ndcg@10_stderr"]
        ok = abs(full[m]["ndcg@10"] - small[m]["ndcg@10"]) <= se
        passed &= ok
        print(f"| {m} | {100 * full[m]['ndcg@10']:.2f} | {100 * small[m]['ndcg@10']:.2f} | "
              f"{100 * (small[m]['ndcg@10'] - full[m]['ndcg@10']):+.2f} | {100 * se:.2f} | {100 * paired:.2f} | "
              f"{'yes' if ok else 'no'} |")
    print(f"\nevery size within one standard error: {'yes' if passed else 'no'}")


if __name__ == "__main__":
    main()
