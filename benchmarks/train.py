#!/usr/bin/env python3
"""Unsupervised training steps per second on the bundled scifact corpus: matryoshka next to a PyTorch
implementation of the same step, on one thread and on two, in one run.

The step (both engines): 128 random anchors and their 10 nearest neighbours (mined once on the original
vectors, rows deduplicated, about 1,400 rows); the frozen principal-axes front map applied in advance;
the residual MLP `x + W2 relu(W1 x + b1) + b2` (d = h = 384, output layer zero at the start); the summed
losses L_topk + L_pair + L_rec over M = 16, 32, ..., 256, 384 with re-normalised prefixes (targets are the
original full-dimension cosines); backward; one Adam step (learning rate 1e-3). No validation.

The PyTorch step is written as a PyTorch user would write it, one set of prefix cosines per size m
(`F.normalize(y[:, :m]) @ F.normalize(y[:, :m]).T` for the pairwise term), with autograd.

Rounds alternate the engines and thread counts, so a slow spell of the (shared, virtual) machine hits
every cell. Prints a markdown table of medians; raw numbers go to benchmarks/out/train.json.

Usage: benchmarks/train.py [--runs 5] [--iterations 200] [--corpus data/scifact/corpus.f32.npy]
Needs `swift build -c release --product matryoshka-bench`; installs torch (CPU wheel) and numpy into
benchmarks/.venv-torch on first use.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from common import BENCH, ROOT, ensure_venv

HERE = os.path.dirname(os.path.abspath(__file__))


def torch_steps_per_second(corpus_path, threads, iterations, seed=0):
    """Iterations per second of the PyTorch step described above, with `threads` intra-op threads."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    raw = np.load(corpus_path).astype(np.float32)
    x = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    n, d = x.shape
    centred = x - x.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T.astype(np.float64) @ centred / n)
    rotation = vectors[:, ::-1].T.astype(np.float32)  # rows: principal axes, largest variance first
    original = torch.from_numpy(x)
    z_all = original @ torch.from_numpy(rotation.copy()).T  # frozen front map, applied once
    k, batch, sizes = 10, 128, [16, 32, 64, 128, 256, d]
    with torch.no_grad():
        neighbours = torch.empty((n, k), dtype=torch.long)
        for start in range(0, n, 1024):
            sims = original[start:start + 1024] @ original.T
            sims[torch.arange(sims.shape[0]), torch.arange(start, start + sims.shape[0])] = -float("inf")
            neighbours[start:start + 1024] = sims.topk(k, dim=1).indices

    hidden = torch.nn.Linear(d, d)
    output = torch.nn.Linear(d, d)
    torch.nn.init.zeros_(output.weight)
    torch.nn.init.zeros_(output.bias)
    optimiser = torch.optim.Adam(list(hidden.parameters()) + list(output.parameters()), lr=1e-3)
    generator = np.random.default_rng(seed)
    off_diagonal = ~torch.eye(batch, dtype=torch.bool)

    def step():
        anchors = torch.from_numpy(generator.choice(n, batch, replace=False))
        rows, inverse = torch.unique(torch.cat([anchors, neighbours[anchors].reshape(-1)]), return_inverse=True)
        anchor_rows, neighbour_rows = inverse[:batch], inverse[batch:]
        pair_anchor = anchor_rows.repeat_interleave(k)
        topk_targets = (original[anchors].repeat_interleave(k, 0) * original[neighbours[anchors].reshape(-1)]).sum(1)
        pair_targets = original[anchors] @ original[anchors].T
        z = z_all[rows]
        residual = output(torch.relu(hidden(z)))
        y = z + residual
        loss = residual.abs().sum() / d
        for m in sizes:
            prefix = F.normalize(y[:, :m], dim=1)
            topk = (prefix[pair_anchor] * prefix[neighbour_rows]).sum(1)
            loss = loss + (topk - topk_targets).abs().sum()
            anchors_m = prefix[anchor_rows]
            loss = loss + (anchors_m @ anchors_m.T - pair_targets)[off_diagonal].abs().sum()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()

    for _ in range(10):  # warm-up
        step()
    start = time.perf_counter()
    for _ in range(iterations):
        step()
    return iterations / (time.perf_counter() - start)


def matryoshka_steps_per_second(corpus_path, threads, iterations):
    """One `matryoshka-bench train` run: iterations per second, GFLOP/s and the sgemm rate beside it."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
    out = subprocess.run([BENCH, "train", "--corpus", corpus_path, "--runs", "1", "--iterations", str(iterations)],
                         check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out)


def main():
    ensure_venv(".venv-torch", ["numpy", "torch==2.13.0+cpu"])
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--corpus", default=os.path.join(ROOT, "data", "scifact", "corpus.f32.npy"))
    args = parser.parse_args()
    if not os.path.exists(BENCH):
        sys.exit(f"{BENCH} is missing: run `swift build -c release --product matryoshka-bench` first")
    import torch

    cells = {(engine, threads): [] for engine in ("matryoshka", "pytorch") for threads in (1, 2)}
    for round_number in range(args.runs):
        for threads in (1, 2):
            cells[("matryoshka", threads)].append(matryoshka_steps_per_second(args.corpus, threads, args.iterations))
            cells[("pytorch", threads)].append(torch_steps_per_second(args.corpus, threads, args.iterations))
        print(f"round {round_number + 1}/{args.runs} done", file=sys.stderr)

    def median_rate(engine, threads):
        values = cells[(engine, threads)]
        return statistics.median(v["iterations_per_second"] if engine == "matryoshka" else v for v in values)

    print(f"torch {torch.__version__}, {args.iterations} steps per run, median of {args.runs} runs\n")
    print("| threads | matryoshka it/s | matryoshka GFLOP/s | sgemm GFLOP/s | PyTorch it/s | matryoshka / PyTorch |")
    print("|---|---|---|---|---|---|")
    summary = []
    for threads in (1, 2):
        ours = median_rate("matryoshka", threads)
        theirs = median_rate("pytorch", threads)
        gflops = statistics.median(v["gflops"] for v in cells[("matryoshka", threads)])
        sgemm = statistics.median(v["sgemm_gflops"] for v in cells[("matryoshka", threads)])
        print(f"| {threads} | {ours:.1f} | {gflops:.1f} | {sgemm:.1f} | {theirs:.1f} | {ours / theirs:.2f}× |")
        summary.append({"threads": threads, "matryoshka_iterations_per_second": ours, "matryoshka_gflops": gflops,
                        "sgemm_gflops": sgemm, "pytorch_iterations_per_second": theirs})
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "train.json"), "w") as f:
        json.dump({"torch": torch.__version__, "summary": summary,
                   "runs": {f"{e}-{t}": v for (e, t), v in cells.items()}}, f, indent=1)


if __name__ == "__main__":
    main()
