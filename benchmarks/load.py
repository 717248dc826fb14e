#!/usr/bin/env python3
"""`matryoshka serve` under load with wrk on loopback: POST /v1/adapt with 32 vectors per request (base64 in and
out, dimensions=64) and POST /v1/search by vector (k = 10, exact at full size and through the funnel m = 32,
K = 100), 64 connections for 30 s each, against a server holding the scifact corpus (5,183 documents, 384-d,
the default unsupervised adaptor). Reports requests/s, p50/p99 latency, non-2xx responses, socket errors and the
server's resident memory before and after each run; and the adapt throughput next to `matryoshka apply
--dimension 64` doing the same arithmetic on a file (the HTTP share of the cost).

Usage: benchmarks/load.py [--shared ../shared/data] [--seconds 30] [--connections 64]
(after `swift build -c release`; installs Debian's wrk when missing). The server is stopped on every exit path.
"""
import argparse
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import numpy as np

from common import BINARY, ROOT
from script_support import start_serve  # noqa: E402 (common puts scripts/ on sys.path)

OUT = os.path.join(ROOT, "benchmarks", "out")


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wrk(url, body, seconds, connections, threads=2):
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                 f"wrk.body = {json.dumps(body)}\n")
    script.close()
    output = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
                             "-s", script.name, url], check=True, capture_output=True, text=True).stdout
    os.unlink(script.name)

    def duration(text):
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 1e-3, "ms": 1, "s": 1e3}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": duration(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1)),
        "p99_ms": duration(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1)),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, socket.groups())) if socket else 0,
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    data = os.path.join(args.shared, "scifact")
    os.makedirs(OUT, exist_ok=True)
    model = os.path.join(OUT, "load-scifact.safetensors")
    subprocess.run([BINARY, "fit", "--data", data, "--out", model, "--quiet"], check=True)
    corpus = np.load(f"{data}/corpus.f32.npy")

    # The same arithmetic through apply: 32 vectors at a time is the request; a file of 100,000 is the peer.
    rows = np.ascontiguousarray(np.resize(corpus, (100_000, corpus.shape[1])))
    np.save(os.path.join(OUT, "load-apply.npy"), rows)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([BINARY, "apply", "--adaptor", model, "--input", os.path.join(OUT, "load-apply.npy"), "--output",
                        os.path.join(OUT, "load-apply-64.npy"), "--dimension", "64", "--quiet"], check=True)
        times.append(time.perf_counter() - start)
    apply_rate = len(rows) / sorted(times)[1]

    server, port = start_serve([BINARY, "serve", "--adaptor", model, "--port", "0", "--data", data,
                                "--shortlist-dimensions", "32"])
    try:
        adapt_body = json.dumps({"input": [base64.b64encode(v.astype("<f4").tobytes()).decode() for v in corpus[:32]],
                                 "dimensions": 64, "encoding_format": "base64"})
        search_exact = json.dumps({"vector": corpus[11].tolist(), "k": 10})
        search_funnel = json.dumps({"vector": corpus[11].tolist(), "k": 10, "shortlist_dimension": 32,
                                    "shortlist_size": 100})
        results = {}
        for name, path, body in [("adapt, 32 vectors per request", "/v1/adapt", adapt_body),
                                 ("search by vector, exact at 384", "/v1/search", search_exact),
                                 ("search by vector, funnel 32 → 384, K = 100", "/v1/search", search_funnel)]:
            before = rss_mb(server.pid)
            result = wrk(f"http://127.0.0.1:{port}{path}", body, args.seconds, args.connections)
            result.update(rss_before_mb=before, rss_after_mb=rss_mb(server.pid))
            results[name] = result
            print(json.dumps({name: result}), flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    with open(os.path.join(OUT, "load.json"), "w") as f:
        json.dump({"apply_rows_per_second": apply_rate, **results}, f, indent=1)
    print(f"\n{args.connections} connections, {args.seconds} s each, wrk on loopback\n")
    print("| route | requests/s | p50 | p99 | non-2xx | socket errors | RSS before → after |\n|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['requests_per_second']:,.0f} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms | {r['non_2xx']} | "
              f"{r['socket_errors']} | {r['rss_before_mb']:.0f} → {r['rss_after_mb']:.0f} MB |")
    adapt = results["adapt, 32 vectors per request"]["requests_per_second"] * 32
    print(f"\nadapt: {adapt:,.0f} vectors/s over HTTP; apply --dimension 64 on 100,000 rows: {apply_rate:,.0f} vectors/s; "
          f"HTTP, JSON and base64 take {100 * (1 - adapt / apply_rate):.0f} % of the served cost")


if __name__ == "__main__":
    main()
