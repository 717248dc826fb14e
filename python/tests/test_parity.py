"""The package gives what the command line gives: the same library functions under both."""

import json

import numpy as np
import pytest

import matryoshka as mk

from conftest import DATA


def test_transform_equals_apply_row_for_row(cli, cli_model, scifact, tmp_path):
    adaptor = mk.Adaptor.load(cli_model)
    for dimension in (64, None):
        out = tmp_path / f"applied-{dimension}.npy"
        cli("apply", "--adaptor", cli_model, "--input", DATA / "corpus.f32.npy", "--output", out, "--quiet",
            *(["--dimension", dimension] if dimension else []))
        expected = np.load(out)
        got = adaptor.transform(scifact.corpus, dimension=dimension)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_a_seeded_fit_writes_the_command_lines_file_byte_for_byte(cli, scifact, tmp_path):
    corpus = tmp_path / "corpus.npy"
    np.save(corpus, scifact.corpus[:3000])
    options = ["--iterations", 40, "--validation-interval", 20, "--seed", 5, "--center", "on"]
    cli("fit", "--corpus", corpus, "--out", tmp_path / "cli.safetensors", "--quiet", *options)
    adaptor = mk.Adaptor(iterations=40, validation_interval=20, seed=5, center="on", progress=False)
    adaptor.fit(scifact.corpus[:3000])
    adaptor.save(tmp_path / "python.safetensors")
    assert (tmp_path / "python.safetensors").read_bytes() == (tmp_path / "cli.safetensors").read_bytes()
    assert adaptor.centred_ is True and adaptor.dims_[-1] == 384
    assert adaptor.best_iteration_ in (0, 20, 40)


def test_a_seeded_supervised_fit_writes_the_command_lines_file(cli, scifact, tmp_path):
    options = ["--iterations", 20, "--validation-interval", 10, "--stage2-iterations", 20,
               "--stage2-validation-interval", 10, "--seed", 2]
    cli("fit", "--data", DATA, "--supervised", "--out", tmp_path / "cli.safetensors", "--quiet", *options)
    adaptor = mk.Adaptor("supervised", iterations=20, validation_interval=10, stage2_iterations=20,
                         stage2_validation_interval=10, seed=2, progress=False)
    adaptor.fit(scifact.corpus, scifact.queries, scifact.train, corpus_ids=scifact.corpus_ids,
                query_ids=scifact.query_ids)
    adaptor.save(tmp_path / "python.safetensors")
    assert (tmp_path / "python.safetensors").read_bytes() == (tmp_path / "cli.safetensors").read_bytes()
    assert len(adaptor.stages_) == 2


def test_evaluate_equals_evaluate_json(cli, cli_model, scifact):
    expected = json.loads(cli("evaluate", "--data", DATA, "--method", "adaptor", "--adaptor", cli_model,
                              "--dims", "16,64,384", "--json", "--quiet"))
    got = mk.evaluate(scifact.corpus, scifact.queries, scifact.test, mk.Adaptor.load(cli_model), dims=[16, 64, 384],
                      corpus_ids=scifact.corpus_ids, query_ids=scifact.query_ids, progress=False)
    assert got["results"] == expected["results"]
    assert got["judged_queries"] == expected["judged_queries"] == 300
    truncated = json.loads(cli("evaluate", "--data", DATA, "--dims", "32", "--json", "--quiet"))
    assert mk.evaluate(scifact.corpus, scifact.queries, scifact.test, dims=[32], corpus_ids=scifact.corpus_ids,
                       query_ids=scifact.query_ids, progress=False)["results"] == truncated["results"]


def test_index_search_equals_search(cli, cli_model, scifact, tmp_path):
    run = tmp_path / "run.tsv"
    cli("search", "--data", DATA, "--adaptor", cli_model, "--dimension", 64, "--k", 10, "--output", run, "--quiet")
    expected = {}
    for line in run.read_text().splitlines():
        query, _, document, rank, score, _ = line.split()
        expected.setdefault(query, []).append((document, float(score)))
    index = mk.Index(scifact.corpus, mk.Adaptor.load(cli_model), dimension=64, progress=False)
    ids, scores = index.search(scifact.queries, k=10)
    assert len(expected) == len(scifact.query_ids)
    for q, query in enumerate(scifact.query_ids):
        assert [scifact.corpus_ids[i] for i in ids[q]] == [d for d, _ in expected[query]]
        np.testing.assert_allclose(scores[q], [s for _, s in expected[query]], atol=1e-5)


def test_neighbour_recall_equals_the_label_free_evaluate(cli, cli_model, tmp_path):
    expected = json.loads(cli("evaluate", "--corpus", DATA / "corpus.f32.npy", "--method", "adaptor", "--adaptor",
                              cli_model, "--dims", "16,64", "--neighbour-sample", 300, "--json", "--quiet"))
    got = mk.neighbour_recall(np.load(DATA / "corpus.f32.npy"), mk.Adaptor.load(cli_model), dims=[16, 64], sample=300,
                              progress=False)
    assert got == {row["dimension"]: row["neighbour-recall@10"] for row in expected["results"]}


@pytest.mark.parametrize("method, flags, options", [
    ("search-adaptor", ["--method", "search-adaptor", "--stage2-iterations", 20, "--stage2-validation-interval", 10],
     {"stage2_iterations": 20, "stage2_validation_interval": 10}),
    ("smec", ["--method", "smec", "--iterations", 20, "--validation-interval", 10, "--sizes", "96,192,384"],
     {"iterations": 20, "validation_interval": 10, "dims": [96, 192, 384]}),
])
def test_every_method_fits_the_command_lines_file(cli, scifact, tmp_path, method, flags, options):
    cli("fit", "--data", DATA, "--out", tmp_path / "cli.safetensors", "--seed", 4, "--quiet", *flags)
    dims = options.pop("dims", None)
    adaptor = mk.Adaptor(method, dims=dims, seed=4, progress=False, **options)
    if method == "smec":
        adaptor.fit(scifact.corpus)
    else:
        adaptor.fit(scifact.corpus, scifact.queries, scifact.train, corpus_ids=scifact.corpus_ids,
                    query_ids=scifact.query_ids)
    adaptor.save(tmp_path / "python.safetensors")
    assert (tmp_path / "python.safetensors").read_bytes() == (tmp_path / "cli.safetensors").read_bytes()
    assert adaptor.method_ == method


@pytest.mark.parametrize("precision, dtype", [("float16", "float16"), ("int8", "int8"), ("int4", "uint8"),
                                              ("binary", "uint8")])
def test_codes_equal_apply_precision(cli, cli_model, scifact, tmp_path, precision, dtype):
    out = tmp_path / f"codes-{precision}.npy"
    cli("apply", "--adaptor", cli_model, "--input", DATA / "corpus.f32.npy", "--output", out, "--dimension", 96,
        "--precision", precision, "--quiet")
    expected = np.load(out)
    got = mk.Adaptor.load(cli_model).transform(scifact.corpus, dimension=96, precision=precision)
    assert got.dtype == np.dtype(dtype) == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got, expected)


def test_codes_need_a_size_a_known_precision_and_a_model(cli_model, scifact):
    adaptor = mk.Adaptor.load(cli_model)
    with pytest.raises(ValueError, match="give dimension=m"):
        adaptor.transform(scifact.corpus[:3], precision="int8")
    with pytest.raises(mk.MatryoshkaError, match='precision must be one of float32, float16, int8, int4, int2, binary, got "int3"'):
        adaptor.transform(scifact.corpus[:3], dimension=8, precision="int3")


def test_evaluate_with_codes_equals_evaluate_precision(cli, cli_model, scifact):
    expected = json.loads(cli("evaluate", "--data", DATA, "--method", "adaptor", "--adaptor", cli_model,
                              "--dims", "64,256", "--precision", "int8,binary", "--rescore", 50, "--keep", 90,
                              "--json", "--quiet"))
    got = mk.evaluate(scifact.corpus, scifact.queries, scifact.test, mk.Adaptor.load(cli_model), dims=[64, 256],
                      precision=["int8", "binary"], rescore=50, keep=0.9, corpus_ids=scifact.corpus_ids,
                      query_ids=scifact.query_ids, progress=False)
    assert got["results"] == expected["results"] and len(got["results"]) == 4
    assert {k: v for k, v in got.items() if k not in ("data", "directory", "method")} == \
        {k: v for k, v in expected.items() if k not in ("data", "directory", "method")}
