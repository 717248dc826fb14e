#!/usr/bin/env python3
"""Quality gate for the unsupervised Matryoshka-Adaptor (issue 3), on ../shared/data/scifact.

Fits an adaptor with the default settings on the corpus vectors alone, evaluates it on the test judgements,
and checks nDCG@10 x 100: above PCA at m = 16, 32, 64 and no more than 0.5 below truncation at m >= 128
(reference numbers from BASELINES.md). Also checks that the model file loads with the `safetensors` package
and that the numpy forward pass in docs/model-file.md reproduces `matryoshka apply`.

Usage: scripts/gates/unsupervised.py MATRYOSHKA_BINARY SHARED_DATA_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baselines import parse_baselines  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def readme_apply():
    """The numpy `apply_adaptor` shown in docs/model-file.md, executed as written."""
    readme = open(os.path.join(HERE, "..", "..", "docs", "model-file.md"), encoding="utf-8").read()
    block = next(b for b in readme.split("```python")[1:] if "def apply_adaptor" in b).split("```")[0]
    namespace = {}
    exec(block, namespace)
    return namespace["apply_adaptor"]


def main():
    binary, shared, work = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3]
    os.makedirs(work, exist_ok=True)
    model = os.path.join(work, "scifact-unsupervised.safetensors")
    subprocess.run([binary, "fit", "--data", f"{shared}/scifact", "--out", model, "--quiet"], check=True)
    output = subprocess.run([binary, "evaluate", "--data", f"{shared}/scifact", "--method", "adaptor",
                             "--adaptor", model, "--json"], check=True, capture_output=True, text=True).stdout
    measured = {r["dimension"]: r["ndcg@10"] * 100 for r in json.loads(output)["results"]}
    reference = {(d, s, m): v for d, s, m, v in parse_baselines(f"{shared}/BASELINES.md")}
    pca, trunc = reference[("scifact", "test", "pca")], reference[("scifact", "test", "trunc")]
    failures = 0
    for m in sorted(measured):
        if m <= 64:
            ok, rule = measured[m] > pca[m], f"> PCA {pca[m]:.2f}"
        else:
            ok, rule = measured[m] >= trunc[m] - 0.5, f">= truncation {trunc[m]:.2f} - 0.5"
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} scifact test adaptor m={m:<4} nDCG@10 {measured[m]:6.2f} {rule}")

    corpus = np.load(f"{shared}/scifact/corpus.f32.npy")
    applied = os.path.join(work, "scifact-applied.npy")
    subprocess.run([binary, "apply", "--adaptor", model, "--input", f"{shared}/scifact/corpus.f32.npy",
                    "--output", applied, "--quiet"], check=True)
    apply_adaptor = readme_apply()
    difference = float(np.abs(apply_adaptor(model, corpus) - np.load(applied)).max())
    short = os.path.join(work, "scifact-applied-64.npy")
    subprocess.run([binary, "apply", "--adaptor", model, "--input", f"{shared}/scifact/corpus.f32.npy",
                    "--output", short, "--dimension", "64", "--quiet"], check=True)
    difference = max(difference, float(np.abs(apply_adaptor(model, corpus, 64) - np.load(short)).max()))
    ok = difference < 1e-4
    failures += not ok
    print(f"{'ok  ' if ok else 'FAIL'} docs/model-file.md's numpy + safetensors forward pass reproduces apply "
          f"(max |diff| {difference:.2e})")
    print(f"unsupervised gate: {'passed' if failures == 0 else f'{failures} failures'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
