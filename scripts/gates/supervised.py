#!/usr/bin/env python3
"""Quality gate for the supervised Matryoshka-Adaptor and Search-Adaptor (issue 4), on ../shared/data/scifact.

Trains with default settings on qrels/train.tsv only, scores on qrels/test.tsv, nDCG@10 x 100:
the two-stage supervised adaptor reaches at least 64.51 (the full 384-d original) at m = 32 and 72.5 at
m = 64, and beats both the unsupervised adaptor and Search-Adaptor at m = 16, 32, 64 and 128.

Usage: scripts/gates/supervised.py MATRYOSHKA_BINARY SHARED_DATA_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys


def fit(binary, data, out, *flags):
    if not os.path.exists(out):
        subprocess.run([binary, "fit", "--data", data, "--out", out, "--quiet", *flags], check=True)
    return out


def ndcg(binary, data, model):
    output = subprocess.run([binary, "evaluate", "--data", data, "--method", "adaptor", "--adaptor", model, "--json"],
                            check=True, capture_output=True, text=True).stdout
    return {r["dimension"]: r["ndcg@10"] * 100 for r in json.loads(output)["results"]}


def main():
    binary, shared, work = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3]
    os.makedirs(work, exist_ok=True)
    data = f"{shared}/scifact"
    # The unsupervised gate's model is reused when it ran first (same defaults).
    unsupervised = ndcg(binary, data, fit(binary, data, os.path.join(work, "scifact-unsupervised.safetensors")))
    supervised = ndcg(binary, data, fit(binary, data, os.path.join(work, "scifact-supervised.safetensors"), "--supervised"))
    search = ndcg(binary, data, fit(binary, data, os.path.join(work, "scifact-search-adaptor.safetensors"),
                                    "--method", "search-adaptor"))
    checks = [
        (supervised[32] >= 64.51, f"supervised m=32 nDCG@10 {supervised[32]:.2f} >= 64.51 (full 384-d original)"),
        (supervised[64] >= 72.5, f"supervised m=64 nDCG@10 {supervised[64]:.2f} >= 72.5"),
    ]
    for m in (16, 32, 64, 128):
        checks.append((supervised[m] > unsupervised[m],
                       f"supervised m={m} {supervised[m]:.2f} > unsupervised {unsupervised[m]:.2f}"))
        checks.append((supervised[m] > search[m], f"supervised m={m} {supervised[m]:.2f} > Search-Adaptor {search[m]:.2f}"))
    for ok, text in checks:
        print(f"{'ok  ' if ok else 'FAIL'} {text}")
    failures = sum(not ok for ok, _ in checks)
    print(f"supervised gate: {'passed' if failures == 0 else f'{failures} failures'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
