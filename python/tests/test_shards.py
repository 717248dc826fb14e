"""Shard I/O (matryoshka.shards): the layouts read, the output written whole or not at all, and bad shards named."""

import json

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import matryoshka as mk  # noqa: E402
from matryoshka import shards  # noqa: E402


def write_parquet(path, ids, x, kind="list"):
    if kind == "fixed":
        column = shards.vectors_array(x)
    else:
        column = pa.array(list(x.astype(np.float64 if kind == "double" else np.float32)))
    pq.write_table(pa.table({"id": pa.array(ids), "embedding": column, "title": pa.array([f"t{i}" for i in ids])}),
                   path)


@pytest.fixture(scope="module")
def model(tmp_path_factory, small_model_data):
    adaptor = mk.Adaptor(iterations=20, validation_interval=10, progress=False).fit(small_model_data)
    path = tmp_path_factory.mktemp("model") / "u.safetensors"
    adaptor.save(path)
    return adaptor, path


@pytest.fixture(scope="module")
def small_model_data():
    return np.random.default_rng(3).standard_normal((600, 32)).astype(np.float32)


@pytest.mark.parametrize("kind", ["list", "double", "fixed"])
def test_parquet_shards_keep_ids_columns_and_names(tmp_path, model, small_model_data, kind):
    adaptor, _ = model
    x = small_model_data
    (tmp_path / "in" / "sub").mkdir(parents=True)
    write_parquet(tmp_path / "in" / "a.parquet", np.arange(0, 250), x[:250], kind)
    write_parquet(tmp_path / "in" / "sub" / "b.parquet", np.arange(250, 600), x[250:], kind)
    found = shards.discover(tmp_path / "in")
    assert [s.name for s in found] == ["a.parquet", "sub/b.parquet"]
    for shard in found:
        summary = shards.apply_shard(shard, tmp_path / "out", adaptor, 8, block_rows=64,
                                     description={"dimension": 8})
        assert summary["rows"] == (250 if shard.name == "a.parquet" else 350)
    table = pq.read_table(tmp_path / "out" / "sub" / "b.parquet")
    assert table.column("title").to_pylist()[:2] == ["t250", "t251"]
    assert json.loads(table.schema.metadata[b"matryoshka"]) == {"dimension": 8}
    assert pa.types.is_fixed_size_list(table.schema.field("embedding").type)
    ids, y = shards.read_matrix(tmp_path / "out")
    assert ids.tolist() == list(range(600))
    np.testing.assert_allclose(y, adaptor.transform(x, dimension=8), atol=1e-6)
    assert not list((tmp_path / "out").rglob(".*"))


def test_npy_shards_with_embedding_readers_metadata_folder(tmp_path, model, small_model_data):
    adaptor, _ = model
    x = small_model_data
    (tmp_path / "emb").mkdir()
    (tmp_path / "meta").mkdir()
    for s, rows in enumerate(np.array_split(np.arange(600), 3)):
        np.save(tmp_path / "emb" / f"img_emb_{s}.npy", x[rows])
        pq.write_table(pa.table({"id": pa.array(rows + 1000)}), tmp_path / "meta" / f"metadata_{s}.parquet")
    found = shards.discover(tmp_path / "emb", tmp_path / "meta")
    assert [(s.name, s.metadata_name) for s in found] == [
        (f"img_emb_{s}.npy", f"metadata/metadata_{s}.parquet") for s in range(3)]
    for shard in found:
        shards.apply_shard(shard, tmp_path / "out", adaptor, 16, precision="int8")
    codes = np.concatenate([np.load(tmp_path / "out" / f"img_emb_{s}.npy") for s in range(3)])
    assert codes.dtype == np.int8
    np.testing.assert_array_equal(codes, adaptor.transform(x, dimension=16, precision="int8"))
    ids = np.concatenate([pq.read_table(tmp_path / "out" / "metadata" / f"metadata_{s}.parquet").column("id")
                          .to_numpy() for s in range(3)])
    assert ids.tolist() == list(range(1000, 1600))


def test_npy_shards_with_same_stem_metadata_and_mismatches(tmp_path, small_model_data):
    np.save(tmp_path / "part-0.npy", small_model_data[:10])
    pq.write_table(pa.table({"id": pa.array(range(9))}), tmp_path / "part-0.parquet")
    (shard,) = shards.discover(tmp_path)
    assert shard.metadata.endswith("part-0.parquet")
    with pytest.raises(shards.ShardError, match=r"part-0.npy: 10 vectors, but its metadata .*part-0.parquet has 9"):
        list(shards.iterate(shard))
    (tmp_path / "meta").mkdir()
    pq.write_table(pa.table({"id": pa.array(range(10))}), tmp_path / "meta" / "metadata_7.parquet")
    with pytest.raises(shards.ShardError, match="numbers differ"):
        shards.discover(tmp_path, tmp_path / "meta")


@pytest.mark.parametrize("case, pattern", [
    ("width", r"b.parquet: rows of 16 values, but the adaptor takes 32-d vectors"),
    ("column", r"b.parquet: no column 'embedding' \(it has id, vector\)"),
    ("nan", r"b.parquet: row 7: the embedding holds NaN or infinity"),
    ("zero", r"b.parquet: row 3: the embedding is all zeros"),
    ("null", r"b.parquet: row 5: the embedding is null"),
    ("ragged", r"b.parquet: row 2: 31 values, but row 0 has 32"),
    ("strings", r"b.parquet: the embedding column is string, expected a list of floats"),
])
def test_a_bad_shard_is_named_and_leaves_nothing(tmp_path, model, small_model_data, case, pattern):
    adaptor, _ = model
    x = small_model_data[:20].copy()
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "b.parquet"
    if case == "width":
        write_parquet(path, np.arange(20), x[:, :16])
    elif case == "column":
        pq.write_table(pa.table({"id": np.arange(20), "vector": shards.vectors_array(x)}), path)
    elif case == "nan":
        x[7, 3] = np.nan
        write_parquet(path, np.arange(20), x)
    elif case == "zero":
        x[3] = 0
        write_parquet(path, np.arange(20), x)
    elif case == "null":
        values = list(x)
        values[5] = None
        pq.write_table(pa.table({"id": np.arange(20), "embedding": pa.array(values, pa.list_(pa.float32()))}), path)
    elif case == "ragged":
        values = list(x)
        values[2] = values[2][:31]
        pq.write_table(pa.table({"id": np.arange(20), "embedding": pa.array(values, pa.list_(pa.float32()))}), path)
    else:
        pq.write_table(pa.table({"id": np.arange(20), "embedding": pa.array(["a"] * 20)}), path)
    (shard,) = shards.discover(tmp_path / "in")
    with pytest.raises(shards.ShardError, match=pattern):
        shards.apply_shard(shard, tmp_path / "out", adaptor, 8, block_rows=4 if case == "nan" else 65536)
    assert list((tmp_path / "out").iterdir()) == []


def test_an_output_folder_is_begun_and_finished(tmp_path):
    out = tmp_path / "out"
    shards.begin(out)
    (out / "x.parquet").write_bytes(b"old")
    (out / ".x.parquet.1234.tmp").write_bytes(b"half")
    with pytest.raises(shards.ShardError, match="already holds output"):
        shards.begin(out)
    (out / shards.SUCCESS).write_text("{}")
    shards.begin(out, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["x.parquet"]
    shards.finish(out, {"rows": 3})
    assert json.loads((out / shards.SUCCESS).read_text()) == {"rows": 3}


def test_a_missing_model_file_is_named(tmp_path):
    source = shards.ModelSource.of(tmp_path / "nowhere.safetensors")
    with pytest.raises(mk.MatryoshkaError, match=r"on host .*nowhere.safetensors"):
        source.load()


def test_an_adaptor_pickles_as_its_model_file(model, small_model_data):
    import pickle
    adaptor, _ = model
    copy = pickle.loads(pickle.dumps(adaptor))
    assert copy.fingerprint_ == adaptor.fingerprint_ and copy.dims_ == adaptor.dims_
    np.testing.assert_array_equal(copy.transform(small_model_data, dimension=8),
                                  adaptor.transform(small_model_data, dimension=8))
    assert pickle.loads(pickle.dumps(mk.Adaptor(iterations=5))).options == {"iterations": 5}


def test_a_models_pipelines_kept_per_size_give_the_same_rows_in_any_order(model, small_model_data):
    """The handle keeps one pipeline per size (the front map folded once): calls in any order of sizes, block by
    block, equal a fresh model's whole-array call at that size."""
    adaptor, path = model
    x = small_model_data
    for m in (8, None, 16, 8, 32, None, 16):
        blocks = np.concatenate([adaptor.transform(x[i:i + 128], dimension=m) for i in range(0, len(x), 128)])
        np.testing.assert_array_equal(blocks, mk.Adaptor.load(path, progress=False).transform(x, dimension=m))
