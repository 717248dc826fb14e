#!/usr/bin/env python3
"""The unsupervised path at scale: whole-process wall time and peak resident memory (`/usr/bin/time -v`) of
`fit` (defaults), `apply --dimension 64`, `search --dimension 64` (1,000 queries) and the label-free
`evaluate` (neighbour-recall@10 at m = 16 ... 768, truncate / pca / adaptor, against the original and the centred
full-dimension neighbourhoods: `--reference original|centred`), on synthetic corpora of
100k, 300k and 1M x 768 written by benchmarks/generate_corpus.py (generated on first use, ~40 s per million).

Usage: benchmarks/scale.py [--sizes 100000,300000,1000000] [--evaluate-sizes 1000000] [--out benchmarks/out/scale.json]
       [--fit-flags '...']
(after `swift build -c release`). Prints markdown tables (per step and size; the exponent b of cost ~ N^b
fitted between the smallest and the largest size; the label-free metric) and writes every measurement as JSON.

The apply row also gives the sgemm-bound rate of its own arithmetic: the FLOP per row of the kept-coordinate
network (2hd + 2mh + 2md, from the model's sizes) divided by the library's own tiled sgemm rate on the same
shapes (`matryoshka-bench sgemm`, measured in this run at the same thread count), and the share of it reached.
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys

from common import BENCH, BINARY, ROOT

OUT = os.path.join(ROOT, "benchmarks", "out")
DIMENSIONS = "16,32,64,128,256,512,768"


def label(rows):
    return f"{rows // 1_000_000}m" if rows % 1_000_000 == 0 else f"{rows // 1000}k"


def timed(command):
    """Runs `command` under /usr/bin/time -v; returns (wall seconds, peak RSS in MB, stdout)."""
    result = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", result.stderr).group(1)
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    return seconds, rss_kb / 1024, result.stdout


def sgemm_gflops(m, n, k, threads):
    output = subprocess.run([BENCH, "sgemm", "--m", str(m), "--n", str(n), "--k", str(k),
                             "--threads", str(threads)], capture_output=True, text=True, check=True).stdout
    return json.loads(output)["gflops"]


def model_sizes(path):
    """(d, h) of a safetensors model written by fit: from the header's metadata."""
    with open(path, "rb") as f:
        header_length = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(header_length))
    metadata = header["__metadata__"]
    return int(metadata["input_dimension"]), int(metadata["hidden_dimension"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--evaluate-sizes", default="1000000", help="sizes that also get the label-free evaluation")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--out", default=os.path.join(OUT, "scale.json"))
    parser.add_argument("--fit-flags", default="", help="further fit flags, e.g. '--objective paper --center off' "
                        "(the default until issue 14)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    evaluate_sizes = {int(s) for s in args.evaluate_sizes.split(",") if s}
    threads = ["--threads", str(args.threads)]
    results = {"threads": args.threads, "steps": {}, "label_free": {}}

    for rows in sizes:
        folder = os.path.join(OUT, f"synthetic-{label(rows)}")
        corpus = os.path.join(folder, "corpus.f32.npy")
        if not os.path.exists(corpus):
            subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "generate_corpus.py"),
                            "--rows", str(rows), "--out", folder], check=True)
        model = os.path.join(folder, "adaptor.safetensors")
        steps = {}
        steps["fit"] = timed([BINARY, "fit", "--corpus", corpus, "--out", model, "--quiet", *threads,
                              *args.fit_flags.split()])
        steps["apply --dimension 64"] = timed([BINARY, "apply", "--adaptor", model, "--input", corpus,
                                               "--output", os.path.join(folder, "adapted-64.npy"),
                                               "--dimension", "64", "--quiet", *threads])
        steps["search --dimension 64"] = timed([BINARY, "search", "--data", folder, "--adaptor", model,
                                                "--dimension", "64", "--output", os.path.join(folder, "run.tsv"),
                                                "--quiet", *threads])
        if rows in evaluate_sizes:
            # Both reference geometries: the original vectors (the default) and the centred ones, which a model
            # that centres (fit --center auto on an anisotropic corpus) and PCA retrieve in.
            for reference in ["original", "centred"]:
                for method in ["truncate", "pca", "adaptor"]:
                    extra = ["--adaptor", model] if method == "adaptor" else []
                    seconds, rss, stdout = timed([BINARY, "evaluate", "--corpus", corpus, "--method", method,
                                                  "--dims", DIMENSIONS, "--reference", reference, "--json", "--quiet",
                                                  *threads, *extra])
                    name = method if reference == "original" else f"{method}, centred reference"
                    if reference == "original":
                        steps[f"evaluate --method {method}"] = (seconds, rss, "")
                    results["label_free"].setdefault(label(rows), {})[name] = {
                        str(r["dimension"]): r["neighbour-recall@10"] for r in json.loads(stdout)["results"]}
        results["steps"][label(rows)] = {name: {"seconds": s, "peak_mb": mb} for name, (s, mb, _) in steps.items()}
        d, h = model_sizes(model)
        flops = 2 * h * d + 2 * 64 * h + 2 * 64 * d
        seconds_per_row = (2 * h * d / (sgemm_gflops(8192, h, d, args.threads) * 1e9)
                           + 2 * 64 * (h + d) / (sgemm_gflops(8192, 64, h, args.threads) * 1e9))
        apply_seconds = steps["apply --dimension 64"][0]
        results["steps"][label(rows)]["apply --dimension 64"].update(
            flops_per_row=flops, sgemm_bound_rows_per_second=1 / seconds_per_row,
            rows_per_second=rows / apply_seconds, share_of_sgemm_bound=rows / apply_seconds * seconds_per_row)
        print(json.dumps({label(rows): results["steps"][label(rows)]}), flush=True)

    with open(args.out + ".tmp", "w") as f:
        json.dump(results, f, indent=1)
    os.replace(args.out + ".tmp", args.out)

    names = list(results["steps"][label(sizes[-1])])
    print(f"\nThreads: {args.threads}. Wall seconds / peak resident MB (`/usr/bin/time -v`).\n")
    print("| step | " + " | ".join(label(r) for r in sizes) + " | exponent b (cost ~ N^b) |")
    print("|---" * (len(sizes) + 2) + "|")
    for name in names:
        cells, seconds = [], {}
        for rows in sizes:
            step = results["steps"][label(rows)].get(name)
            cells.append(f"{step['seconds']:.1f} s / {step['peak_mb']:,.0f} MB" if step else "–")
            if step:
                seconds[rows] = step["seconds"]
        exponent = "–"
        if len(seconds) >= 2:
            small, large = min(seconds), max(seconds)
            exponent = f"{math.log(seconds[large] / seconds[small]) / math.log(large / small):.2f}"
        print(f"| {name} | " + " | ".join(cells) + f" | {exponent} |")
    for rows in sizes:
        step = results["steps"][label(rows)]["apply --dimension 64"]
        print(f"\napply at {label(rows)}: {step['rows_per_second']:,.0f} rows/s, sgemm bound "
              f"{step['sgemm_bound_rows_per_second']:,.0f} rows/s ({step['flops_per_row']:,} FLOP/row): "
              f"{100 * step['share_of_sgemm_bound']:.0f} %")
    for size, methods in results["label_free"].items():
        print(f"\nneighbour-recall@10 x 100 on synthetic-{size}\n")
        print("| method | " + " | ".join(DIMENSIONS.split(",")) + " |")
        print("|---" * (len(DIMENSIONS.split(",")) + 1) + "|")
        for method, values in methods.items():
            print(f"| {method} | " + " | ".join(f"{100 * values[m]:.2f}" for m in DIMENSIONS.split(",")) + " |")


if __name__ == "__main__":
    main()
