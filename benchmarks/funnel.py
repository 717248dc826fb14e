#!/usr/bin/env python3
"""Adaptive retrieval on scifact: nDCG@10 (test judgements) and queries per second of the funnel (exact top K on
the first m adapted coordinates, re-ranked at the full 384) for m = 16, 32, 64 and K = 50, 100, 200, next to
exact search at 384 and at m. The adaptor is `fit --objective paper --center off` on the corpus vectors (the
unsupervised default when these figures were first measured, before issue 14; what is measured is the funnel).

Usage: benchmarks/funnel.py [--shared ../shared/data] [--runs 5]   (after `swift build -c release`)
nDCG from `matryoshka evaluate --shortlist-dimension m --shortlist-size K` (exact: `--dims`), speed from
`matryoshka-bench funnel` (5,183 documents, every query vector of the set, in memory,
median of --runs), in one run. Prints a markdown table.
"""
import argparse
import json
import os
import subprocess

from common import BENCH, BINARY, PAPER, ROOT

OUT = os.path.join(ROOT, "benchmarks", "out")


def ndcg(flags):
    output = subprocess.run([BINARY, "evaluate", *flags, "--neighbour-sample", "0", "--json", "--quiet"],
                            check=True, capture_output=True, text=True).stdout
    return {r["dimension"]: (100 * r["ndcg@10"], 100 * r["ndcg@10_stderr"]) for r in json.loads(output)["results"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = os.path.join(args.shared, "scifact")
    os.makedirs(OUT, exist_ok=True)
    model = os.path.join(OUT, "funnel-scifact-paper.safetensors")
    subprocess.run([BINARY, "fit", "--data", data, "--out", model, "--quiet", *PAPER], check=True)
    base = ["--data", data, "--method", "adaptor", "--adaptor", model]
    exact = ndcg(base + ["--dims", "16,32,64,384"])
    speed = subprocess.run([BENCH, "funnel", "--corpus", f"{data}/corpus.f32.npy", "--queries", f"{data}/queries.f32.npy",
                            "--adaptor", model, "--runs", str(args.runs)], check=True, capture_output=True, text=True).stdout
    qps = {(r["kind"], r["m"], r.get("K")): r["queries_per_second"] for r in map(json.loads, speed.splitlines())}
    print("| search | nDCG@10 ×100 ± SE | queries/s | vs exact at 384 |\n|---|---|---|---|")
    full = qps[("exact", 384, None)]
    print(f"| exact, 384 | {exact[384][0]:.2f} ± {exact[384][1]:.2f} | {full:,.0f} | 1.00× |")
    for m in [16, 32, 64]:
        print(f"| exact, {m} | {exact[m][0]:.2f} ± {exact[m][1]:.2f} | {qps[('exact', m, None)]:,.0f} | "
              f"{qps[('exact', m, None)] / full:.2f}× |")
        for size in [50, 100, 200]:
            value = ndcg(base + ["--shortlist-dimension", str(m), "--shortlist-size", str(size)])[384]
            rate = qps[("funnel", m, size)]
            print(f"| funnel, top {size} at {m} → 384 | {value[0]:.2f} ± {value[1]:.2f} | {rate:,.0f} | {rate / full:.2f}× |")


if __name__ == "__main__":
    main()
