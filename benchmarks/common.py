"""Shared pieces of the benchmark scripts: where things are, and the data-set arguments."""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import script_support  # noqa: E402
BINARY = os.path.join(ROOT, ".build", "release", "matryoshka")
BENCH = os.path.join(ROOT, ".build", "release", "matryoshka-bench")
ALL_SETS = "scifact,dbpedia-entity-5k,cisi,cisi/models/all-mpnet-base-v2"
# The unsupervised defaults before issue 14: the paper's objective on the original geometry (with fidelity
# selection this keeps the principal-axes front map). SMEC trains on it, so its comparisons use it.
PAPER = ["--objective", "paper", "--center", "off"]


def data_flags(shared, name):
    """`--data` (and `--model`) flags for a shared data set name such as `cisi/models/all-mpnet-base-v2`."""
    folder, _, model = name.partition("/models/")
    return ["--data", os.path.join(shared, folder)] + (["--model", model] if model else [])


def shared_sets_arguments(configure=None):
    """Parses `--shared DIR` and `--sets a,b,...` (defaults: ../shared/data and every shared set), plus whatever
    `configure(parser)` adds."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("--sets", default=ALL_SETS)
    if configure:
        configure(parser)
    return parser.parse_args()


def ensure_venv(name, packages):
    """Re-executes the running script inside `benchmarks/<name>`, creating it with `pip install <packages>`
    (a list of pip arguments) on first use."""
    script_support.ensure_venv(name, packages, folder="benchmarks")
