#!/usr/bin/env python3
"""Do two builds fit the same models? Runs the same fits, evaluations, searches and `apply` with two `matryoshka`
executables and compares what they wrote: model files and `apply` outputs byte for byte, `evaluate --json` cell by
cell, TREC runs by documents and ranks and by scores.

Usage: benchmarks/compare_builds.py --before OLD/.build/release/matryoshka --after .build/release/matryoshka
       [--shared ../shared/data] [--reuse]
(build the older one in a worktree: `git worktree add ../before REV && (cd ../before && swift build -c release
--product matryoshka)`). Outputs go to benchmarks/out/compare-builds/{before,after}; --reuse keeps what a
build's folder already holds.
"""
import argparse
import filecmp
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT  # noqa: E402

SCIFACT = os.path.join(ROOT, "data", "scifact")
MODELS = ["unsupervised", "supervised", "search-adaptor", "smec", "paper", "cisi-mpnet"]


def fits(shared):
    return {
        "unsupervised": ["--data", SCIFACT],
        "supervised": ["--data", SCIFACT, "--supervised"],
        "search-adaptor": ["--data", SCIFACT, "--method", "search-adaptor"],
        "smec": ["--data", SCIFACT, "--method", "smec", "--supervised", "--iterations", "400", "--stage2-iterations", "400"],
        "paper": ["--data", SCIFACT, "--objective", "paper", "--center", "off", "--iterations", "600"],
        "cisi-mpnet": ["--data", os.path.join(shared, "cisi"), "--model", "all-mpnet-base-v2", "--iterations", "600"],
    }


def run_all(binary, out, shared, reuse):
    os.makedirs(out, exist_ok=True)

    def step(path, arguments, stdout=False):
        if reuse and os.path.exists(path):
            return
        result = subprocess.run([binary] + arguments + ["--quiet"], check=True, capture_output=stdout, text=True)
        if stdout:
            with open(path, "w") as file:
                file.write(result.stdout)

    for name, flags in fits(shared).items():
        path = os.path.join(out, f"{name}.safetensors")
        step(path, ["fit"] + flags + ["--out", path])
    for name in MODELS[:-1]:
        step(os.path.join(out, f"eval-{name}.json"), ["evaluate", "--data", SCIFACT, "--method", "adaptor", "--adaptor",
                                                     os.path.join(out, f"{name}.safetensors"), "--json"], stdout=True)
    for method in ["pca", "truncate"]:
        step(os.path.join(out, f"eval-{method}.json"), ["evaluate", "--data", SCIFACT, "--method", method, "--json"],
             stdout=True)
    model = os.path.join(out, "unsupervised.safetensors")
    step(os.path.join(out, "run64.tsv"), ["search", "--data", SCIFACT, "--adaptor", model, "--dimension", "64",
                                          "--output", os.path.join(out, "run64.tsv")])
    step(os.path.join(out, "funnel.tsv"), ["search", "--data", SCIFACT, "--adaptor", model, "--shortlist-dimension", "32",
                                           "--shortlist-size", "100", "--output", os.path.join(out, "funnel.tsv")])
    for name, extra in [("apply64.npy", ["--dimension", "64"]), ("apply.npy", [])]:
        step(os.path.join(out, name), ["apply", "--adaptor", model, "--input", os.path.join(SCIFACT, "corpus.f32.npy"),
                                       "--output", os.path.join(out, name)] + extra)


def compare(before, after):
    rows = []
    for name in MODELS:
        same = filecmp.cmp(os.path.join(before, f"{name}.safetensors"), os.path.join(after, f"{name}.safetensors"), shallow=False)
        rows.append((f"{name}.safetensors", "identical" if same else "DIFFERENT"))
    for name in MODELS[:-1] + ["pca", "truncate"]:
        a = json.load(open(os.path.join(before, f"eval-{name}.json")))["results"]
        b = json.load(open(os.path.join(after, f"eval-{name}.json")))["results"]
        cells = [f"m={x['dimension']} {key} {x.get(key)} → {y.get(key)}" for x, y in zip(a, b)
                 for key in ["ndcg@10", "recall@100", "mrr@10", "neighbour-recall@10"] if x.get(key) != y.get(key)]
        rows.append((f"evaluate {name}", "identical" if not cells else "; ".join(cells)))
    for name in ["run64.tsv", "funnel.tsv"]:
        a = [line.split() for line in open(os.path.join(before, name))]
        b = [line.split() for line in open(os.path.join(after, name))]
        ranks = sum(x[:4] != y[:4] for x, y in zip(a, b)) + abs(len(a) - len(b))
        scores = max((abs(float(x[4]) - float(y[4])) for x, y in zip(a, b)), default=0.0)
        rows.append((name, "identical" if ranks == 0 and scores == 0 else
                     f"{ranks} lines with another document or rank; scores differ by at most {scores:.1e}"))
    for name in ["apply64.npy", "apply.npy"]:
        same = filecmp.cmp(os.path.join(before, name), os.path.join(after, name), shallow=False)
        rows.append((name, "identical" if same else "DIFFERENT"))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", required=True)
    parser.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    out = os.path.join(ROOT, "benchmarks", "out", "compare-builds")
    for name, binary in [("before", args.before), ("after", args.after)]:
        run_all(os.path.abspath(binary), os.path.join(out, name), args.shared, args.reuse)
    print("| output | before → after |\n|---|---|")
    for name, verdict in compare(os.path.join(out, "before"), os.path.join(out, "after")):
        print(f"| {name} | {verdict} |")


if __name__ == "__main__":
    main()
