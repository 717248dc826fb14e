"""Fixtures: the repository's bundled SciFact vectors, the release command line (for parity), a model it fitted."""

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
DATA = REPOSITORY / "data" / "scifact"


def read_qrels(path):
    """A BEIR qrels file as (query id, document id, grade) triples, in file order."""
    lines = Path(path).read_text().splitlines()[1:]
    return [(q, d, int(g)) for q, d, g in (line.split("\t") for line in lines if line.strip())]


class Scifact:
    def __init__(self):
        self.corpus = np.load(DATA / "corpus.f32.npy")
        self.queries = np.load(DATA / "queries.f32.npy")
        self.corpus_ids = (DATA / "corpus_ids.txt").read_text().split()
        self.query_ids = (DATA / "query_ids.txt").read_text().split()
        self.train = read_qrels(DATA / "qrels" / "train.tsv")
        self.test = read_qrels(DATA / "qrels" / "test.tsv")


@pytest.fixture(scope="session")
def scifact():
    return Scifact()


@pytest.fixture(scope="session")
def cli():
    """The release `matryoshka` (MATRYOSHKA_CLI, or .build/release/matryoshka): parity is with the same build
    flags as the library's (release), so that the same code gives the same bits."""
    path = Path(os.environ.get("MATRYOSHKA_CLI", REPOSITORY / ".build" / "release" / "matryoshka"))
    if not path.exists():
        pytest.skip(f"{path} is not built (swift build -c release --product matryoshka); scripts/test builds it")

    def run(*arguments):
        result = subprocess.run([str(path), *map(str, arguments)], capture_output=True, text=True)
        if result.returncode != 0:
            raise AssertionError(f"matryoshka {' '.join(map(str, arguments))} failed:\n{result.stderr}")
        return result.stdout

    return run


@pytest.fixture(scope="session")
def cli_model(cli, tmp_path_factory):
    """A short unsupervised fit of the bundled SciFact corpus by the command line."""
    path = tmp_path_factory.mktemp("models") / "u.safetensors"
    cli("fit", "--data", DATA, "--out", path, "--iterations", 40, "--validation-interval", 20, "--quiet")
    return path


@pytest.fixture
def small():
    """200 × 24 random vectors."""
    return np.random.default_rng(7).standard_normal((200, 24)).astype(np.float32)
