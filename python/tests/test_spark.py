"""matryoshka.spark: the adaptor as a mapInArrow step of a Spark DataFrame, in PySpark's local mode (a real JVM and
real Python workers): equal to the library, a task whose Python worker dies is run again with the same result, and
bad rows named."""

import os
import sys

import numpy as np
import pytest

pyspark = pytest.importorskip("pyspark")
pytest.importorskip("pyarrow")

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql.types import ArrayType, FloatType, StringType, StructField, StructType  # noqa: E402

import matryoshka as mk  # noqa: E402
import matryoshka.spark as mspark  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers run this environment's Python, as the driver does
    # local[2, 3]: two cores, and a failed task is tried up to three times (Spark's local mode does not retry
    # otherwise).
    session = (SparkSession.builder.master("local[2, 3]").appName("matryoshka-tests")
               .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "4")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def frame(spark, scifact, partitions=4):
    schema = StructType([StructField("id", StringType(), False),
                         StructField("embedding", ArrayType(FloatType(), False), False)])
    rows = list(zip(scifact.corpus_ids, scifact.corpus.tolist()))
    return spark.createDataFrame(rows, schema).repartition(partitions)


def rows_of(frame_rows, scifact):
    order = {d: i for i, d in enumerate(scifact.corpus_ids)}
    return np.array([order[r["id"]] for r in frame_rows])


def test_apply_equals_the_library(spark, scifact, cli_model):
    adaptor = mk.Adaptor.load(cli_model, progress=False)
    out = mspark.apply(frame(spark, scifact), adaptor, 64, output_column="small").collect()
    rows = rows_of(out, scifact)
    assert sorted(rows.tolist()) == list(range(len(scifact.corpus)))
    y = np.array([r["small"] for r in out], dtype=np.float32)
    np.testing.assert_allclose(y, adaptor.transform(scifact.corpus[rows], dimension=64), atol=1e-6)
    np.testing.assert_allclose(np.array([r["embedding"] for r in out[:5]], np.float32), scifact.corpus[rows[:5]])


def test_codes_and_a_model_path(spark, scifact, cli_model):
    out = mspark.apply(frame(spark, scifact, 2), str(cli_model), 32, precision="binary").collect()
    rows = rows_of(out, scifact)
    codes = np.array([np.frombuffer(r["embedding"], np.uint8) for r in out])
    np.testing.assert_array_equal(codes, mk.Adaptor.load(cli_model).transform(scifact.corpus[rows], 32, "binary"))


def test_a_task_whose_python_worker_dies_is_run_again(spark, scifact, cli_model, tmp_path):
    """The first attempt of partition 1 kills its Python worker (os._exit) mid-stream; Spark runs the task again
    and the output is every id once with the library's vectors."""
    marker = str(tmp_path / "died")

    def die_once(batches):
        from pyspark import TaskContext
        context = TaskContext.get()
        for batch in batches:
            if context.partitionId() == 1 and context.attemptNumber() == 0:
                open(marker, "w").close()
                os._exit(1)
            yield batch

    source = frame(spark, scifact)
    crashing = source.mapInArrow(die_once, source.schema)
    adaptor = mk.Adaptor.load(cli_model, progress=False)
    out = mspark.apply(crashing, adaptor, 64).collect()
    assert os.path.exists(marker)
    rows = rows_of(out, scifact)
    assert sorted(rows.tolist()) == list(range(len(scifact.corpus)))
    y = np.array([r["embedding"] for r in out], dtype=np.float32)
    np.testing.assert_allclose(y, adaptor.transform(scifact.corpus[rows], dimension=64), atol=1e-6)


def test_bad_rows_and_columns_are_named(spark, scifact, cli_model):
    schema = StructType([StructField("id", StringType()), StructField("embedding", ArrayType(FloatType()))])
    rows = [("a", [1.0] * 384), ("b", [1.0] * 383)]
    bad = spark.createDataFrame(rows, schema).coalesce(1)
    with pytest.raises(Exception, match=r"Spark partition 0: row 1: 383 values, but row 0 has 384"):
        mspark.apply(bad, str(cli_model), 64).collect()
    nan = spark.createDataFrame([("a", [float("nan")] * 384)], schema).coalesce(1)
    with pytest.raises(Exception, match=r"Spark partition 0: row 0: the embedding holds NaN or infinity"):
        mspark.apply(nan, str(cli_model), 64).collect()
    with pytest.raises(ValueError, match="no column 'vector'"):
        mspark.apply(bad, str(cli_model), 64, column="vector")
    with pytest.raises(ValueError, match="float16 has no Spark type"):
        mspark.apply(bad, str(cli_model), 64, precision="float16")


def test_the_readmes_spark_snippet_runs(spark, scifact, cli_model, tmp_path, monkeypatch):
    import re
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq
    from conftest import REPOSITORY
    section = (REPOSITORY / "README.md").read_text().split("## In Ray and Spark jobs", 1)[1].split("\n## ", 1)[0]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[1]
    (tmp_path / "embeddings").mkdir()
    for s, rows in enumerate(np.array_split(np.arange(len(scifact.corpus)), 3)):
        pq.write_table(pa.table({"id": pa.array([scifact.corpus_ids[i] for i in rows]),
                                 "embedding": pa.array(list(scifact.corpus[rows]))}),
                       tmp_path / "embeddings" / f"part-{s}.parquet")
    shutil.copyfile(cli_model, tmp_path / "model.safetensors")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    out = spark.read.parquet(str(tmp_path / "embeddings-64-spark")).collect()
    rows = rows_of(out, scifact)
    assert sorted(rows.tolist()) == list(range(len(scifact.corpus)))
    np.testing.assert_allclose(np.array([r["embedding"] for r in out], np.float32),
                               mk.Adaptor.load(cli_model).transform(scifact.corpus[rows], dimension=64), atol=1e-6)
