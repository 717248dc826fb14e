#!/usr/bin/env python3
"""Quality gate: every truncation and PCA nDCG@10 in ../shared/data/BASELINES.md reproduced within 0.01.

Usage: scripts/gates/baselines.py MATRYOSHKA_BINARY SHARED_DATA_DIR

Reads the reference tables from BASELINES.md (one per data set and split), runs
`matryoshka evaluate --json` for each and compares nDCG@10 x 100 at every listed m.
Exit status 0 when all match, 1 otherwise.
"""
import json
import re
import subprocess
import sys

TOLERANCE = 0.01


def parse_baselines(path):
    """Yields (dataset, split, method, {m: ndcg x 100}) from the markdown tables."""
    heading = re.compile(r"^## (\S+) \((\w+):")
    current = None
    dims = None
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        match = heading.match(line)
        if match:
            current, dims = (match.group(1), match.group(2)), None
            continue
        if current and line.startswith("| method"):
            dims = [int(cell.strip()[2:]) for cell in line.strip("|").split("|")[1:]]
            continue
        if current and dims and line.startswith("|") and not line.startswith("|---"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            yield current[0], current[1], cells[0], dict(zip(dims, map(float, cells[1:])))


def main():
    binary, shared = sys.argv[1], sys.argv[2].rstrip("/")
    failures, checked = [], 0
    for dataset, split, method, reference in parse_baselines(f"{shared}/BASELINES.md"):
        method = {"trunc": "truncate"}.get(method, method)
        folder, _, model = dataset.partition("/models/")
        command = [binary, "evaluate", "--data", f"{shared}/{folder}", "--method", method,
                   "--split", split, "--dims", ",".join(map(str, reference)), "--json"]
        if model:
            command += ["--model", model]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        measured = {row["dimension"]: row["ndcg@10"] * 100 for row in json.loads(output)["results"]}
        for m, expected in reference.items():
            checked += 1
            ok = abs(measured[m] - expected) <= TOLERANCE + 1e-9
            print(f"{'ok  ' if ok else 'FAIL'} {dataset:32} {split:5} {method:8} m={m:<4} "
                  f"expected {expected:6.2f} measured {measured[m]:8.4f}")
            if not ok:
                failures.append((dataset, split, method, m))
    print(f"baselines gate: {checked - len(failures)} of {checked} numbers within {TOLERANCE}")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
