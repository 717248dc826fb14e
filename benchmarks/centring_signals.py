#!/usr/bin/env python3
"""The label-free centring signals of issue 14 on every shared set (docs/unsupervised-default.md):

- the mean cosine between two different corpus documents, c = (N^2 |mu|^2 - N) / (N (N - 1)), which
  `fit --center auto` uses (it prints the same value);
- |mu|^2 over the largest eigenvalue of the centred covariance;
- the relative reduction in hubness (skewness of the 10-occurrence counts) that centring brings, on the whole
  corpus (up to 6,000 rows) and on samples of 1,000 / 2,000 / 4,000 rows with three seeds each.

Usage: benchmarks/centring_signals.py [--shared ../shared/data] [--sets ...]   (numpy and scipy)
"""
import numpy as np
from scipy.stats import skew

from common import shared_sets_arguments


def hubness(vectors, k=10):
    y = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = y @ y.T
    np.fill_diagonal(similarity, -np.inf)
    neighbours = np.argpartition(-similarity, k, axis=1)[:, :k]
    return skew(np.bincount(neighbours.ravel(), minlength=len(y)))


def main():
    args = shared_sets_arguments()
    for name in args.sets.split(","):
        x = np.load(f"{args.shared}/{name}/corpus.f32.npy").astype(np.float64)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        n, mu = len(x), x.mean(0)
        squared = mu @ mu
        mean_cosine = (n * n * squared - n) / (n * (n - 1))
        largest = np.linalg.eigvalsh((x - mu).T @ (x - mu) / n)[-1]
        whole = x[np.random.default_rng(0).choice(n, min(n, 6000), replace=False)]
        reductions = []
        for size in (1000, 2000, 4000):
            for seed in range(3):
                sample = x[np.random.default_rng(seed).choice(n, min(size, n), replace=False)]
                reductions.append(f"{size}:{1 - hubness(sample - mu) / hubness(sample):+.2f}")
        print(f"{name}: mean cosine {mean_cosine:.3f} ({'centred' if mean_cosine >= 0.2 else 'not centred'}), "
              f"|mu|^2 / lambda_1 {squared / largest:.2f}, hubness reduction {1 - hubness(whole - mu) / hubness(whole):+.2f} "
              f"(samples {' '.join(reductions)})")


if __name__ == "__main__":
    main()
