"""A node of a real two-node Ray cluster killed mid-job (its own cluster, scripts/ray_cluster.py): the job
finishes, and the output is again exactly the input's ids, once each, with the library's vectors."""

import sys
import threading
import time

import numpy as np
import pytest

pytest.importorskip("ray")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import ray  # noqa: E402

import matryoshka as mk  # noqa: E402
import matryoshka.ray as mray  # noqa: E402
from matryoshka import shards  # noqa: E402

from conftest import REPOSITORY  # noqa: E402

sys.path.insert(0, str(REPOSITORY / "scripts"))
from ray_cluster import RayCluster  # noqa: E402


def test_a_node_killed_mid_job_changes_nothing(tmp_path, cli_model):
    """Its own cluster: the second node's raylet and workers are killed by PID once two shards are written; the
    job finishes on the head node, and the output is the input's ids once each with the library's vectors."""
    rng = np.random.default_rng(11)
    (tmp_path / "in").mkdir()
    first = 0
    for s in range(20):
        x = rng.standard_normal((6000, 384), dtype=np.float32)
        pq.write_table(pa.table({"id": np.arange(first, first + len(x)), "embedding": shards.vectors_array(x)}),
                       tmp_path / "in" / f"part-{s:05d}.parquet")
        first += len(x)
    out = tmp_path / "out"
    killed = {}
    with RayCluster() as running:
        ray.init(address=running.address, log_to_driver=False, configure_logging=False)
        try:
            def kill_when_two_shards_are_written():
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:
                    written = list(out.glob("*.parquet")) if out.exists() else []
                    if len(written) >= 2:
                        killed["written"] = len(written)
                        killed["workers"] = [p.pid for p in running.node_processes(1) if "default_worker" in
                                             " ".join(p.cmdline())]
                        killed["pids"] = running.kill_node(1)
                        return
                    time.sleep(0.01)

            killer = threading.Thread(target=kill_when_two_shards_are_written)
            killer.start()
            summary = mray.apply_files(tmp_path / "in", out, str(cli_model), 64, concurrency=2, block_rows=1000)
            killer.join()
        finally:
            ray.shutdown()
    assert killed and 2 <= killed["written"] < 20, killed
    assert killed["workers"], "the second node ran no worker when it was killed"
    assert summary["rows"] == 120_000 and (out / shards.SUCCESS).exists()
    ids, y = shards.read_matrix(out)
    assert ids.tolist() == list(range(120_000))
    x = np.concatenate([shards.column_matrix(pq.read_table(p).column("embedding"), p.name)
                        for p in sorted((tmp_path / "in").glob("*.parquet"))])
    np.testing.assert_allclose(y, mk.Adaptor.load(cli_model).transform(x, dimension=64), atol=1e-6)
