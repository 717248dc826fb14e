"""matryoshka.ray on a real two-node Ray cluster on loopback (scripts/ray_cluster.py: two `ray start`, one CPU
each, nothing mocked): apply equal to the library, sharded search equal to `matryoshka search`, bad shards
named, and the command (a node killed mid-job: test_ray_node_failure.py)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("ray")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import ray  # noqa: E402

import matryoshka as mk  # noqa: E402
import matryoshka.ray as mray  # noqa: E402
from matryoshka import shards  # noqa: E402

from conftest import DATA, REPOSITORY  # noqa: E402

sys.path.insert(0, str(REPOSITORY / "scripts"))
from ray_cluster import RayCluster  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with RayCluster() as running:
        ray.init(address=running.address, log_to_driver=False, configure_logging=False)
        try:
            yield running
        finally:
            ray.shutdown()


def split_scifact(scifact, folder, count, kind="list"):
    folder.mkdir(parents=True, exist_ok=True)
    for s, rows in enumerate(np.array_split(np.arange(len(scifact.corpus)), count)):
        x = scifact.corpus[rows]
        column = shards.vectors_array(x) if kind == "fixed" else pa.array(list(x))
        pq.write_table(pa.table({"id": pa.array([scifact.corpus_ids[i] for i in rows]), "embedding": column}),
                       folder / f"part-{s:05d}.parquet")
    return folder


def test_apply_files_on_two_nodes_equals_the_library(cluster, scifact, cli_model, tmp_path):
    source = split_scifact(scifact, tmp_path / "in", 6)
    summary = mray.apply_files(source, tmp_path / "out", str(cli_model), 64, concurrency=2, block_rows=500)
    assert summary["shards"] == 6 and summary["rows"] == len(scifact.corpus)
    assert json.loads((tmp_path / "out" / shards.SUCCESS).read_text())["rows"] == len(scifact.corpus)
    ids, y = shards.read_matrix(tmp_path / "out")
    assert ids.tolist() == scifact.corpus_ids
    np.testing.assert_allclose(y, mk.Adaptor.load(cli_model).transform(scifact.corpus, dimension=64), atol=1e-6)


def test_the_dataset_step_equals_the_library(cluster, scifact, cli_model, tmp_path):
    source = split_scifact(scifact, tmp_path / "in", 4, kind="fixed")
    adaptor = mk.Adaptor.load(cli_model, progress=False)
    dataset = ray.data.read_parquet(str(source), include_paths=True)
    table = mray.apply(dataset, adaptor, 32, batch_size=1000).to_arrow_refs()
    table = pa.concat_tables(ray.get(table))
    order = {d: i for i, d in enumerate(scifact.corpus_ids)}
    rows = np.array([order[d] for d in table.column("id").to_pylist()])
    assert sorted(rows.tolist()) == list(range(len(scifact.corpus)))
    y = shards.column_matrix(table.column("embedding"), "output")
    np.testing.assert_allclose(y, adaptor.transform(scifact.corpus[rows], dimension=32), atol=1e-6)
    assert set(table.column_names) == {"id", "embedding", "path"}


def test_sharded_search_equals_the_command_lines_search(cluster, scifact, cli, cli_model, tmp_path):
    run = tmp_path / "run.tsv"
    cli("search", "--data", DATA, "--adaptor", cli_model, "--dimension", 64, "--k", 10, "--output", run, "--quiet")
    expected = {}
    for line in run.read_text().splitlines():
        query, _, document, _, _, _ = line.split()
        expected.setdefault(query, []).append(document)
    dataset = mray.read(split_scifact(scifact, tmp_path / "in", 4)).materialize()
    assert dataset.num_blocks() == 4
    ids, scores = mray.search(dataset, scifact.queries, 10, adaptor=str(cli_model), dimension=64)
    assert ids.shape == (len(scifact.queries), 10)
    for q, query in enumerate(scifact.query_ids):
        assert ids[q].tolist() == expected[query], query
    assert np.all(np.diff(scores, axis=1) <= 0)


def test_neighbour_recall_over_the_cluster_equals_whole_corpus_search(cluster, scifact, cli_model, tmp_path):
    adaptor = mk.Adaptor.load(cli_model, progress=False)
    dataset = mray.read(split_scifact(scifact, tmp_path / "in", 3))
    got = mray.neighbour_recall(dataset, adaptor, dims=[16, 64], sample=150, seed=5)
    sampled_ids, _ = mray.sample(dataset, 150, id_column="id", seed=5)
    rows = [scifact.corpus_ids.index(d) for d in sampled_ids]
    assert len(set(rows)) == 150

    def neighbours(index):
        found, _ = index.search(scifact.corpus[rows], 11)
        return [[d for d in row if d != r][:10] for row, r in zip(found.tolist(), rows)]

    reference = neighbours(mk.Index(scifact.corpus, None, progress=False))
    for m in (16, 64):
        mine = neighbours(mk.Index(scifact.corpus, adaptor, dimension=m, progress=False))
        assert got[m] == pytest.approx(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(mine, reference)]))
    assert 0.2 < got[16] < got[64] <= 1


def test_a_seeded_sample_is_the_same_however_the_data_set_is_cut(cluster, scifact, tmp_path):
    three = mray.read(split_scifact(scifact, tmp_path / "three", 3))
    seven = mray.read(split_scifact(scifact, tmp_path / "seven", 7)).repartition(11)
    ids_three, x_three = mray.sample(three, 400, id_column="id", seed=9)
    ids_seven, x_seven = mray.sample(seven, 400, id_column="id", seed=9)
    assert ids_three.tolist() == ids_seven.tolist() and len(set(ids_three.tolist())) == 400
    rows = [scifact.corpus_ids.index(d) for d in ids_three]
    np.testing.assert_array_equal(x_three, scifact.corpus[rows])
    np.testing.assert_array_equal(x_seven, x_three)
    assert mray.sample(three, 400, id_column="id", seed=10)[0].tolist() != ids_three.tolist()
    everything = mray.sample(three, 10_000, seed=9)
    assert everything.shape == scifact.corpus.shape


def test_a_bad_shard_stops_the_job_named_and_without_success(cluster, scifact, cli_model, tmp_path):
    source = split_scifact(scifact, tmp_path / "in", 3)
    x = scifact.corpus[:50, :300]
    pq.write_table(pa.table({"id": pa.array([f"w{i}" for i in range(50)]), "embedding": pa.array(list(x))}),
                   source / "part-00001.parquet")
    with pytest.raises(Exception, match=r"part-00001.parquet: rows of 300 values, but the adaptor takes 384-d"):
        mray.apply_files(source, tmp_path / "out", str(cli_model), 64, concurrency=1)
    assert not (tmp_path / "out" / shards.SUCCESS).exists()
    assert not list((tmp_path / "out").glob(".*"))
    assert not (tmp_path / "out" / "part-00001.parquet").exists()


def test_the_dataset_step_names_the_file_of_a_bad_row(cluster, scifact, cli_model, tmp_path):
    source = split_scifact(scifact, tmp_path / "in", 2)
    x = scifact.corpus[:30].copy()
    x[12, 5] = np.nan
    pq.write_table(pa.table({"id": pa.array([f"n{i}" for i in range(30)]), "embedding": pa.array(list(x))}),
                   source / "part-00001.parquet")
    dataset = ray.data.read_parquet(str(source), include_paths=True)
    named = r"part-00001.parquet.*\(a batch of \d+ rows\): row \d+: the embedding holds NaN"
    with pytest.raises(Exception, match=named):
        mray.apply(dataset, str(cli_model), 64, concurrency=1).take_all()


def test_a_model_file_missing_on_the_workers_is_named(cluster, scifact, tmp_path):
    source = split_scifact(scifact, tmp_path / "in", 2)
    with pytest.raises(Exception, match=r"nowhere.safetensors"):
        mray.apply(mray.read(source), str(tmp_path / "nowhere.safetensors"), 64, concurrency=1).take_all()


def test_the_command_applies_and_reports(cluster, scifact, cli_model, tmp_path):
    source = split_scifact(scifact, tmp_path / "in", 2)
    environment = {**os.environ, "RAY_ADDRESS": cluster.address}
    done = subprocess.run([sys.executable, "-m", "matryoshka.ray", "apply", "--input", source, "--output",
                           tmp_path / "out", "--adaptor", cli_model, "--dimension", "16", "--precision", "binary"],
                          capture_output=True, text=True, env=environment, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["rows"] == len(scifact.corpus) and summary["precision"] == "binary"
    codes = np.concatenate([np.stack(pq.read_table(p).column("embedding").to_numpy(zero_copy_only=False))
                            for p in sorted((tmp_path / "out").glob("*.parquet"))])
    np.testing.assert_array_equal(codes, mk.Adaptor.load(cli_model).transform(scifact.corpus, 16, "binary"))
    bad = subprocess.run([sys.executable, "-m", "matryoshka.ray", "apply", "--input", tmp_path / "nothing",
                          "--output", tmp_path / "o2", "--dimension", "16"], capture_output=True, text=True,
                         env=environment, timeout=300)
    assert bad.returncode == 1 and "nothing: no such file or folder" in bad.stderr
    recall = subprocess.run([sys.executable, "-m", "matryoshka.ray", "neighbour-recall", "--input", source,
                             "--adaptor", cli_model, "--dims", "16,64", "--sample", "100", "--json"],
                            capture_output=True, text=True, env=environment, timeout=300)
    assert recall.returncode == 0, recall.stderr
    assert set(json.loads(recall.stdout)["neighbour-recall@10"]) == {"16", "64"}


def readme_block(number):
    """The `number`-th Python block of the README's "In Ray and Spark jobs" section."""
    import re
    section = (REPOSITORY / "README.md").read_text().split("## In Ray and Spark jobs", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)[number]


def test_the_readmes_ray_snippet_runs(cluster, scifact, tmp_path, monkeypatch, capsys):
    split_scifact(scifact, tmp_path / "embeddings", 4)
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(readme_block(0), "README.md", "exec"), scope)
    written = pa.concat_tables([pq.read_table(p) for p in sorted((tmp_path / "embeddings-64").glob("*.parquet"))])
    assert sorted(written.column("id").to_pylist()) == sorted(scifact.corpus_ids)
    order = {d: i for i, d in enumerate(scifact.corpus_ids)}
    rows = [order[d] for d in written.column("id").to_pylist()]
    np.testing.assert_allclose(shards.column_matrix(written.column("embedding"), "out"),
                               scope["adaptor"].transform(scifact.corpus[rows], dimension=64), atol=1e-6)
    assert (tmp_path / "model.safetensors").exists()
    assert "{32: " in capsys.readouterr().out
