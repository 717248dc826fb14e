#!/usr/bin/env python3
"""The adaptor as a Ray Data step at scale, on real Ray clusters on loopback (scripts/ray_cluster.py), in one run:

1. **Correct at 10^6**: the generator's structured corpus (benchmarks/generate_corpus.py; 1,000,000 × 768 by
   default) written as `--shards` Parquet files (an int64 `id`, the row number, and a fixed-size list embedding),
   and again in embedding-reader's layout (`.npy` shards beside Parquet ids), applied at m = 64 by `python -m
   matryoshka.ray apply` on one node and on two (one CPU each); the output must hold exactly the input's ids, once
   each, and every vector must equal `matryoshka apply` on the same rows (to 1e-6).
2. **A node killed mid-job**: the same on a fresh two-node cluster, the second node's raylet and workers killed by
   PID once a quarter of the shards are written; the same checks.
3. **Throughput**: rows per second of the job on one node (one CPU) and on two, for both layouts, beside
   `matryoshka apply` on the same rows on one thread (the CLI's rate per CPU), the shards' own seconds (what the
   actors spent, the rest being Ray's start and scheduling), pyarrow alone reading the Parquet vectors, and the
   largest peak resident memory of any actor (each reports its own, Linux's VmHWM: nothing polls while the jobs
   run).
4. **Sampling** (`--sampling`): fits of the same settings on random samples of 2,000 to 200,000 rows, each
   measured by label-free neighbour recall@10 on 100,000 held-out rows (1,000 sampled queries): how large a sample
   the one-machine fit needs.

Usage: benchmarks/distributed.py [--corpus benchmarks/out/synthetic-1m] [--shards 24] [--iterations 300]
       [--sampling] [--skip-kill]
Needs `swift build -c release --product matryoshka` and `scripts/build-python-library`; makes the corpus with
generate_corpus.py when it is missing; installs ray[data], pyarrow, psutil and numpy into
benchmarks/.venv-distributed on first use. Prints markdown; raw numbers go to benchmarks/out/distributed.json.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time

from common import BINARY, ROOT, ensure_venv

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def write_shards(corpus, folder, shards, layout):
    """The corpus .npy as `shards` shards (id = row number), once (a marker records what was written): `parquet`,
    files of an int64 `id` and a fixed-size list `embedding` (pyarrow's defaults: snappy, 16,384-row groups), or
    `npy`, embedding-reader's layout (`part-N.npy` beside `part-N.parquet` holding the ids)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    marker = os.path.join(folder, "_WRITTEN")
    x = np.load(corpus, mmap_mode="r")
    wanted = json.dumps({"corpus": os.path.abspath(corpus), "rows": int(x.shape[0]), "shards": shards,
                         "layout": layout})
    if os.path.exists(marker) and open(marker).read() == wanted:
        return x.shape
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for s, rows in enumerate(np.array_split(np.arange(x.shape[0]), shards)):
        block = np.ascontiguousarray(x[rows[0]:rows[-1] + 1], dtype=np.float32)
        name = os.path.join(folder, f"part-{s:05d}")
        if layout == "npy":
            np.save(name + ".npy", block)
            pq.write_table(pa.table({"id": pa.array(rows, pa.int64())}), name + ".parquet")
        else:
            column = pa.FixedSizeListArray.from_arrays(pa.array(block.reshape(-1)), block.shape[1])
            pq.write_table(pa.table({"id": pa.array(rows, pa.int64()), "embedding": column}), name + ".parquet",
                           row_group_size=16384)
    with open(marker, "w") as file:
        file.write(wanted)
    return x.shape


def parquet_decode_seconds(folder):
    """pyarrow alone reading every shard's vectors into numpy (one pass, no transform): the Parquet share."""
    import pyarrow.parquet as pq
    started = time.perf_counter()
    for name in sorted(f for f in os.listdir(folder) if f.endswith(".parquet")):
        for batch in pq.ParquetFile(os.path.join(folder, name)).iter_batches(batch_size=16384):
            batch.column(1).flatten().to_numpy()
    return time.perf_counter() - started


def check(output, reference, layout):
    """Exactly the ids 0..N-1 once each, and every vector within 1e-6 of `reference` (the CLI's output)."""
    import numpy as np
    import pyarrow.parquet as pq
    y = np.load(reference, mmap_mode="r")
    rows, worst = 0, 0.0
    seen = np.zeros(y.shape[0], dtype=np.int64)
    for name in sorted(f for f in os.listdir(output) if f.endswith(".parquet")):
        table = pq.read_table(os.path.join(output, name))
        ids = table.column("id").to_numpy()
        if layout == "npy":
            got = np.load(os.path.join(output, name[:-len(".parquet")] + ".npy"))
        else:
            got = table.column("embedding").combine_chunks().flatten().to_numpy().reshape(len(ids), -1)
        np.add.at(seen, ids, 1)
        worst = max(worst, float(np.abs(got - y[ids]).max()))
        rows += len(ids)
    return {"rows": rows, "every_id_once": bool((seen == 1).all()), "max_abs_difference": worst,
            "success_marker": os.path.exists(os.path.join(output, "_SUCCESS"))}


def job(cluster, shards_folder, output, model, m, kill_after=None):
    """`python -m matryoshka.ray apply` against `cluster`; with `kill_after`, node 1 is killed once that many
    output files exist. Returns (seconds, summary, killed PIDs, peak actor RSS as the actors report it)."""
    shutil.rmtree(output, ignore_errors=True)
    killed = {}

    def killer():
        while not killed.get("stop"):
            written = [f for f in os.listdir(output) if f.endswith(".parquet")] if os.path.isdir(output) else []
            if len(written) >= kill_after:
                killed["written"] = len(written)
                killed["pids"] = cluster.kill_node(1)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=killer, daemon=True) if kill_after else None
    environment = {**os.environ, "RAY_ADDRESS": cluster.address}
    if thread:
        thread.start()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "matryoshka.ray", "apply", "--input", shards_folder, "--output",
                           output, "--adaptor", model, "--dimension", str(m)], env=environment,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    killed["stop"] = True
    if thread:
        thread.join()
    if done.returncode != 0:
        raise SystemExit(f"the job failed:\n{done.stderr[-3000:]}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return seconds, summary, killed, summary["peak_worker_rss"]


IN_PROCESS = r"""
import json, statistics, sys, time
import numpy as np
import matryoshka as mk
from matryoshka import shards
model, folder, rows, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
adaptor = mk.Adaptor.load(model, threads=1, progress=False)
shard = shards.discover(folder)[0]
times = {"transform": [], "apply_shard": []}
shards.apply_shard(shard, work, adaptor, 64)
peak = shards.peak_rss()  # before the rows are held whole below
x = np.concatenate([b for _, b, _ in shards.iterate(shard)])
for _ in range(3):
    started = time.perf_counter(); adaptor.transform(x, dimension=64); times["transform"].append(time.perf_counter() - started)
    started = time.perf_counter(); shards.apply_shard(shard, work, adaptor, 64); times["apply_shard"].append(time.perf_counter() - started)
del x
print(json.dumps({"rows": rows, **{k: statistics.median(v) for k, v in times.items()},
                  "peak_rss": peak}))
"""


def in_process(corpus, model, work):
    """One process (no Ray): a shard's `apply_shard` beside the bare `Adaptor.transform` of its rows (medians of 3),
    for one .npy shard of 41,667 rows and Parquet shards of 50,000 and 250,000 rows, with the process's peak RSS
    after a first `apply_shard` (before the timing loads the shard's rows whole)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    x = np.load(corpus, mmap_mode="r")
    results = []
    for rows, layout in ((41_667, "npy"), (50_000, "parquet"), (250_000, "parquet")):
        folder = os.path.join(work, f"single-{layout}-{rows}")
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        block = np.ascontiguousarray(x[:rows])
        if layout == "npy":
            np.save(os.path.join(folder, "part.npy"), block)
        else:
            column = pa.FixedSizeListArray.from_arrays(pa.array(block.reshape(-1)), block.shape[1])
            pq.write_table(pa.table({"id": np.arange(rows), "embedding": column}), os.path.join(folder, "part.parquet"),
                           row_group_size=16384)
        del block
        out = subprocess.run([sys.executable, "-c", IN_PROCESS, model, folder, str(rows), folder + "-out"],
                             capture_output=True, text=True, check=True)
        results.append({"layout": layout, **json.loads(out.stdout)})
        shutil.rmtree(folder + "-out", ignore_errors=True)
        log(f"in process: {results[-1]}")
    return results


def sampling(corpus, iterations, sizes, threads):
    """Fits on random samples of each size; label-free neighbour recall@10 on the last 100,000 rows (held out)."""
    import numpy as np
    import matryoshka as mk
    x = np.load(corpus, mmap_mode="r")
    held = np.ascontiguousarray(x[-100_000:])
    pool = x.shape[0] - 100_000
    rng = np.random.default_rng(0)
    rows = []
    dims = [32, 64, 128]
    baseline = mk.neighbour_recall(held, None, dims=dims, sample=1000, threads=threads, progress=False)
    rows.append({"sample": "truncation", "seconds": 0, **{str(m): baseline[m] for m in dims}})
    for n in sizes:
        chosen = np.sort(rng.choice(pool, n, replace=False))
        fitted = mk.Adaptor(iterations=iterations, seed=0, threads=threads, progress=False)
        started = time.perf_counter()
        fitted.fit(np.ascontiguousarray(x[chosen]))
        seconds = time.perf_counter() - started
        recall = mk.neighbour_recall(held, fitted, dims=dims, sample=1000, threads=threads, progress=False)
        rows.append({"sample": n, "seconds": round(seconds, 1), **{str(m): recall[m] for m in dims}})
        log(f"sample {n}: {rows[-1]}")
    return rows


def main():
    ensure_venv(".venv-distributed", ["ray[data]", "pyarrow", "psutil", "numpy"])
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=os.path.join(OUT, "synthetic-1m"))
    parser.add_argument("--shards", type=int, default=24)
    parser.add_argument("--dimension", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=300, help="the benchmark model's fit")
    parser.add_argument("--sampling", action="store_true", help="also the sample-size measurement")
    parser.add_argument("--sampling-iterations", type=int, default=300)
    parser.add_argument("--skip-kill", action="store_true")
    arguments = parser.parse_args()

    library = os.path.join(ROOT, "python", "matryoshka", "libmatryoshka.so")
    if not os.path.exists(library) or not os.path.exists(BINARY):
        raise SystemExit("build first: swift build -c release --product matryoshka && scripts/build-python-library")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.join(ROOT, "python"),
                                                             os.environ.get("PYTHONPATH")]))
    sys.path.insert(0, os.path.join(ROOT, "python"))
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    from ray_cluster import RayCluster
    import numpy as np

    corpus = os.path.join(arguments.corpus, "corpus.f32.npy")
    if not os.path.exists(corpus):
        log(f"generating {arguments.corpus}")
        subprocess.run([sys.executable, os.path.join(HERE, "generate_corpus.py"), "--out", arguments.corpus],
                       check=True)
    work = os.path.join(OUT, "distributed")
    os.makedirs(work, exist_ok=True)
    folders = {layout: os.path.join(work, f"in-{layout}") for layout in ("parquet", "npy")}
    log("writing shards")
    for layout, folder in folders.items():
        shape = write_shards(corpus, folder, arguments.shards, layout)
    size = sum(os.path.getsize(os.path.join(folders["parquet"], f)) for f in os.listdir(folders["parquet"]))
    results = {"rows": shape[0], "dimension": shape[1], "shards": arguments.shards, "parquet_bytes": size,
               "cpu": subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo"], capture_output=True,
                                     text=True).stdout.split(":")[-1].strip()}
    results["parquet_decode_seconds"] = [parquet_decode_seconds(folders["parquet"]) for _ in range(2)]
    log(f"pyarrow reading the Parquet shards' vectors alone: {min(results['parquet_decode_seconds']):.1f} s")

    model = os.path.join(work, "model.safetensors")
    import matryoshka as mk
    log("fitting the benchmark model on 20,000 rows")
    x = np.load(corpus, mmap_mode="r")
    sample = np.ascontiguousarray(x[np.sort(np.random.default_rng(1).choice(shape[0], 20_000, replace=False))])
    mk.Adaptor(iterations=arguments.iterations, seed=0, progress=False).fit(sample).save(model)

    reference = os.path.join(work, "reference.npy")
    cli = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([BINARY, "apply", "--adaptor", model, "--input", corpus, "--output", reference, "--dimension",
                        str(arguments.dimension), "--threads", "1", "--quiet"], check=True)
        cli.append(time.perf_counter() - started)
    results["cli_seconds"] = cli
    log(f"matryoshka apply, 1 thread: {min(cli):.1f} s")

    results["in_process"] = in_process(corpus, model, work)
    runs = {}
    for layout, folder in folders.items():
        for nodes in (1, 2):
            with RayCluster(nodes=nodes, cpus=1, object_store_mb=1000,
                            env={"PYTHONPATH": os.environ["PYTHONPATH"]}) as cluster:
                output = os.path.join(work, f"out-{layout}-{nodes}")
                seconds, summary, _, peak = job(cluster, folder, output, model, arguments.dimension)
                verdict = check(output, reference, layout)
                name = f"{layout}, {nodes} node{'s' if nodes > 1 else ''}"
                runs[name] = {"seconds": seconds, "cpus": nodes, "job": summary, "peak_actor_rss": peak, **verdict}
                log(f"{name}: {seconds:.1f} s (shards {summary['shard_seconds']:.1f} s), {verdict}")
    if not arguments.skip_kill:
        with RayCluster(nodes=2, cpus=1, object_store_mb=1000,
                        env={"PYTHONPATH": os.environ["PYTHONPATH"]}) as cluster:
            output = os.path.join(work, "out-killed")
            seconds, summary, killed, peak = job(cluster, folders["parquet"], output, model, arguments.dimension,
                                                 kill_after=max(2, arguments.shards // 4))
            verdict = check(output, reference, "parquet")
            killed.pop("stop", None)
            runs["parquet, 2 nodes, the second killed mid-job"] = {
                "seconds": seconds, "cpus": 2, "job": summary, "peak_actor_rss": peak, "killed": killed, **verdict}
            log(f"killed run: {seconds:.1f} s, killed {killed}, {verdict}")
    results["runs"] = runs
    if arguments.sampling:
        results["sampling"] = sampling(corpus, arguments.sampling_iterations, [2_000, 10_000, 50_000, 200_000], None)
    with open(os.path.join(OUT, "distributed.json"), "w") as file:
        json.dump(results, file, indent=1)

    cli_rate = shape[0] / min(cli)
    print(f"\n{shape[0]:,} × {shape[1]} in {arguments.shards} Parquet shards ({size / 2**30:.2f} GiB), m = "
          f"{arguments.dimension}, {results['cpu']}\n")
    print(f"pyarrow alone reads the Parquet shards' vectors in {min(results['parquet_decode_seconds']):.1f} s "
          f"(best of 2).\n")
    print("| run | seconds | shards' own seconds | rows/s | rows/s per CPU | share of the CLI's rate per CPU | "
          "every id once | max abs difference | peak actor RSS |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| `matryoshka apply`, 1 thread (best of 3) | {min(cli):.1f} | | {cli_rate:,.0f} | {cli_rate:,.0f} | "
          f"100 % | | | |")
    for name, run in runs.items():
        rate = shape[0] / run["seconds"]
        print(f"| Ray, {name} | {run['seconds']:.1f} | {run['job']['shard_seconds']:.1f} | {rate:,.0f} | "
              f"{rate / run['cpus']:,.0f} | {100 * rate / run['cpus'] / cli_rate:.0f} % | {run['every_id_once']} | "
              f"{run['max_abs_difference']:.1e} | {run['peak_actor_rss'] / 2**20:,.0f} MiB |")
    print("\nIn one process, no Ray (medians of 3):\n")
    print("| shard | rows | `Adaptor.transform` of its rows (s) | `apply_shard` (s) | share | peak RSS of the process |")
    print("|---|---|---|---|---|---|")
    for row in results["in_process"]:
        print(f"| {row['layout']} | {row['rows']:,} | {row['transform']:.3f} | {row['apply_shard']:.3f} | "
              f"{100 * row['transform'] / row['apply_shard']:.0f} % | {row['peak_rss'] / 2**20:,.0f} MiB |")
    if "sampling" in results:
        print("\n| fitting sample | fit seconds | neighbour-recall@10 at 32 | at 64 | at 128 |")
        print("|---|---|---|---|---|")
        for row in results["sampling"]:
            print(f"| {row['sample']} | {row['seconds']} | {row['32']:.4f} | {row['64']:.4f} | {row['128']:.4f} |")


if __name__ == "__main__":
    main()
