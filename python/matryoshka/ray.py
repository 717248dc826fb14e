"""Matryoshka as a step in Ray Data jobs: the adaptor applied where the data lies, label-free quality and exact
search over a sharded corpus, and a command for people who don't write Ray code.

Ray does placement, retries and back-pressure; this module gives it a correct, restartable step. Actors load the
model once (``ModelSource``: a path every worker can read, or an ``Adaptor`` shipped as its file's bytes) and run
the same library calls as ``Adaptor.transform`` and ``Index``; each actor uses one CPU and one library thread by
default (Ray's unit), ``threads=t`` gives each actor ``t`` of both.

- ``apply(dataset, adaptor, dimension)``: a Ray Dataset whose embedding column is the size-``m`` embedding.
- ``apply_files(input, output, adaptor, dimension)``: Parquet or embedding-reader shards to the same shards, one
  task per shard, each file written whole or not at all, ``_SUCCESS`` last (``python -m matryoshka.ray apply``).
- ``read(input)``: shards as a Dataset of ``id`` and ``embedding`` (one block per shard, checked as they are read).
- ``sample(dataset, n)``: ``n`` random vectors onto this machine, to fit on (fitting stays on one machine: the fit
  sees mini-batches of a sample, and a sample of 20,000 to 50,000 vectors gives the quality of the whole corpus;
  BENCHMARKS.md, "Beyond one machine").
- ``search(dataset, queries, k)``: exact search, each block searched where it lies, the per-block top ``k`` merged:
  the same top ``k`` as one ``Index.search`` over the whole corpus.
- ``neighbour_recall(dataset, adaptor)``: the label-free metric of ``matryoshka.neighbour_recall`` with sampled
  queries searched against the whole data set (one pass for the reference and every size).

Run as ``python -m matryoshka.ray apply --input DIR --output DIR --adaptor MODEL --dimension m [--address auto]``
(and ``neighbour-recall``); ``--help`` explains each option.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

try:
    import ray
    import ray.data
except ImportError as _error:  # pragma: no cover - said once, clearly
    raise ImportError("matryoshka.ray needs Ray Data: pip install 'ray[data]'") from _error

from . import shards
from .shards import ModelSource, Shard, ShardError


def _where(batch: Any, default: str) -> str:
    """A batch's source for messages: its file(s) when Ray recorded them (``read_parquet(..., include_paths=True)``,
    or ``read``'s ``shard`` column), else ``default``. Rows in messages are the batch's."""
    for name in ("path", "shard"):
        if name in batch.schema.names and batch.num_rows:
            import pyarrow.compute as pc
            files = pc.unique(batch.column(name)).to_pylist()
            shown = ", ".join(map(str, files[:3])) + (", …" if len(files) > 3 else "")
            return f"{shown} (a batch of {batch.num_rows} rows)"
    return default


def _compute(concurrency: Any, threads: int) -> "ray.data.ActorPoolStrategy":
    """An actor pool of ``concurrency`` actors (an int, or a ``(min, max)`` pair; default: from one to as many as the
    cluster's CPUs allow at ``threads`` CPUs each)."""
    if isinstance(concurrency, int):
        return ray.data.ActorPoolStrategy(size=concurrency)
    if concurrency is not None:
        low, high = concurrency
        return ray.data.ActorPoolStrategy(min_size=low, max_size=high)
    if not ray.is_initialized():
        ray.init(address=os.environ.get("RAY_ADDRESS"), log_to_driver=False)
    cpus = int(ray.cluster_resources().get("CPU", 1))
    return ray.data.ActorPoolStrategy(min_size=1, max_size=max(1, cpus // max(1, threads)))


class _Embed:
    """Ray actor: embeds Arrow batches with a model loaded once."""

    def __init__(self, source: ModelSource, dimension: Optional[int], precision: Optional[str], column: str,
                 threads: int):
        self.model = source.load(threads)
        self.dimension, self.precision, self.column = dimension, precision, column

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa
        where = _where(batch, "a batch of the data set")
        x = shards.column_matrix(batch.column(self.column), where,
                                 width=None if self.model is None else self.model.n_features_in_, check_values=False)
        y = shards.embed_block(self.model, x, self.dimension, self.precision, where)
        index = batch.schema.get_field_index(self.column)
        return batch.set_column(index, pa.field(self.column, pa.list_(pa.from_numpy_dtype(y.dtype), y.shape[1])),
                                shards.vectors_array(y))


def apply(dataset: "ray.data.Dataset", adaptor: Any, dimension: Optional[int], *, column: str = "embedding",
          precision: Optional[str] = None, batch_size: int = 16384, concurrency: Any = None,
          threads: int = 1) -> "ray.data.Dataset":
    """``dataset`` with its ``column`` of raw vectors replaced by the size-``dimension`` embeddings
    (``x̂[:m]/‖x̂[:m]‖``, a fixed-size list of float32), or by their codes at ``precision`` (as
    ``Adaptor.transform``); every other column unchanged. Lazy, like every Ray Data step.

    ``adaptor``: an ``Adaptor`` (shipped to the actors), a model file's path readable on every node, or None
    (truncation). ``batch_size`` rows per call (memory per actor is about ``batch_size × d × 8`` bytes);
    ``concurrency``: actors (an int or a ``(min, max)`` pair; default ``(1, cluster CPUs / threads)``); ``threads``:
    CPUs and library threads per actor. Bad rows raise ``ShardError`` naming the file (when the data set was read
    with ``include_paths=True``) and the row within the batch."""
    source = ModelSource.of(adaptor)
    return dataset.map_batches(_Embed, fn_constructor_kwargs=dict(source=source, dimension=dimension,
                                                                  precision=precision, column=column, threads=threads),
                               batch_format="pyarrow", batch_size=batch_size,
                               compute=_compute(concurrency, threads), num_cpus=threads)


class _ShardWriter:
    """Ray actor: one shard in, one shard out (``shards.apply_shard``)."""

    def __init__(self, source: ModelSource, output: str, dimension: Optional[int], options: Dict[str, Any],
                 threads: int):
        self.model = source.load(threads)
        self.output, self.dimension, self.options = output, dimension, options

    def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        results = [shards.apply_shard(shard, self.output, self.model, self.dimension, **self.options)
                   for shard in _shards_of(batch)]
        return {key: np.array([r[key] for r in results]) for key in results[0]}


def _shard_items(found: List[Shard]) -> "ray.data.Dataset":
    """Shards as a Dataset of their fields, one block (one task) per shard."""
    items = [dataclasses.asdict(s) for s in found]
    return ray.data.from_items(items, override_num_blocks=len(items))


def _shards_of(batch: Dict[str, np.ndarray]) -> List[Shard]:
    """The shards of a batch of ``_shard_items`` rows (numpy's None-or-string cells back to a ``Shard``)."""

    def plain(value: Any) -> Any:
        return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)

    return [Shard(**{f.name: plain(batch[f.name][i]) for f in dataclasses.fields(Shard)})
            for i in range(len(batch["name"]))]


def apply_files(input: shards.PathLike, output: shards.PathLike, adaptor: Any, dimension: Optional[int], *,
                metadata: Optional[shards.PathLike] = None, column: str = "embedding", id_column: Optional[str] = "id",
                precision: Optional[str] = None, block_rows: int = 16384, concurrency: Any = None, threads: int = 1,
                overwrite: bool = False) -> Dict[str, Any]:
    """Applies the adaptor to every shard under ``input`` (``shards.discover``: Parquet, or ``.npy`` beside Parquet
    metadata) into ``output``, one Ray task per shard on an actor pool, keeping names, ids and every other column.

    Each output file is renamed into place when whole; ``_SUCCESS`` (this summary as JSON) is written last, when
    every shard is done. A worker or node lost mid-shard is replaced by Ray and the shard done again (its temporary
    file is discarded). A bad shard stops the job with a ``ShardError`` naming it, and no ``_SUCCESS``. Returns
    ``{"shards", "rows", "seconds", "shard_seconds" (the shards' own times, summed), "rows_per_second",
    "peak_worker_rss" (bytes: the largest peak resident memory of a worker), "hosts", "model", "dimension",
    "precision"}``."""
    started = time.perf_counter()
    found = shards.discover(input, metadata)
    folder = shards.begin(output, overwrite=overwrite)
    source = ModelSource.of(adaptor)
    model = source.load()
    description = {"model": "truncation" if model is None else model.fingerprint_, "dimension": dimension,
                   "precision": precision or "float32"}
    options = dict(precision=precision, column=column, id_column=id_column, block_rows=block_rows,
                   description=description)
    done = _shard_items(found).map_batches(_ShardWriter, fn_constructor_kwargs=dict(source=source, output=str(folder),
                                                                         dimension=dimension, options=options,
                                                                         threads=threads),
                               batch_size=1, batch_format="numpy", compute=_compute(concurrency, threads),
                               num_cpus=threads).take_all()
    by_shard = {r["shard"]: r for r in done}  # a retried task may report twice
    if sorted(by_shard) != sorted(s.name for s in found):  # a lost report would be a bug: say so, write no marker
        names = [s.name for s in found]
        raise RuntimeError(f"shards written {sorted(by_shard)[:5]}… differ from the input's {names[:5]}…")
    seconds = time.perf_counter() - started
    rows = sum(int(r["rows"]) for r in by_shard.values())
    busy = sum(float(r["seconds"]) for r in by_shard.values())
    summary = {**description, "shards": len(found), "rows": rows, "seconds": round(seconds, 3),
               "shard_seconds": round(busy, 3),
               "rows_per_second": round(rows / seconds, 1) if seconds else None,
               "peak_worker_rss": max(int(r["peak_rss"]) for r in done),
               "hosts": sorted({f'{r["host"]}:{r["pid"]}' for r in done})}
    shards.finish(folder, summary)
    return summary


class _ReadShard:
    """Ray actor: one shard as an Arrow table of ids and vectors (checked as they are read)."""

    def __init__(self, column: str, id_column: Optional[str]):
        self.column, self.id_column = column, id_column

    def __call__(self, batch: Dict[str, np.ndarray]) -> Any:
        import pyarrow as pa
        tables = []
        for shard in _shards_of(batch):
            blocks = [x for _, x, _ in shards.iterate(shard, self.column, self.id_column)]
            x = np.concatenate(blocks) if blocks else np.empty((0, 0), np.float32)
            ids = shards.ids(shard, self.id_column) if self.id_column else np.arange(len(x))
            tables.append(pa.table({"id": pa.array(ids), "embedding": shards.vectors_array(x),
                                    "shard": pa.array([shard.path] * len(x), pa.string())}))
        return pa.concat_tables(tables)


def read(input: shards.PathLike, *, metadata: Optional[shards.PathLike] = None, column: str = "embedding",
         id_column: Optional[str] = "id") -> "ray.data.Dataset":
    """The shards under ``input`` as a Ray Dataset of ``id``, ``embedding`` (fixed-size list of float32) and
    ``shard`` (its file), one block per shard, each read and checked (``ShardError``) by the task that holds it."""
    return _shard_items(shards.discover(input, metadata)).map_batches(
        _ReadShard, fn_constructor_kwargs=dict(column=column, id_column=id_column), batch_size=1,
        batch_format="numpy", compute=_compute(None, 1))


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def sample_keys(x: np.ndarray, seed: int) -> np.ndarray:
    """Each row's 64-bit sampling key: a hash of the bits of its first (up to) 32 coordinates and ``seed`` (FNV-1a
    over the 32-bit words, then SplitMix64's finaliser). A row's key depends on the row alone, so a sample chosen by
    key is the same however the data set is cut into blocks, in whatever order they arrive."""
    words = np.ascontiguousarray(x[:, :32], dtype=np.float32).view(np.uint32).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = np.full(len(x), np.uint64(0xCBF29CE484222325) ^ (np.uint64(seed) * _GOLDEN), dtype=np.uint64)
        for j in range(words.shape[1]):
            h = (h ^ words[:, j]) * np.uint64(0x100000001B3)
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


def _below(batch: Any, column: str, seed: int, cut: int) -> Any:
    """The rows of a batch whose sampling key is below ``cut``, with the key as ``_key``."""
    import pyarrow as pa
    keys = sample_keys(shards.column_matrix(batch.column(column), _where(batch, "a batch of the data set")), seed)
    kept = np.flatnonzero(keys < np.uint64(cut))
    return batch.take(pa.array(kept)).append_column("_key", pa.array(keys[kept]))


def sample(dataset: "ray.data.Dataset", n: int, *, column: str = "embedding", id_column: Optional[str] = None,
           seed: int = 0) -> Any:
    """``n`` vectors drawn at random from ``dataset`` onto this machine, as a float32 ``(n, d)`` array (and their
    ids, ``(ids, x)``, when ``id_column`` is given), in a seeded order.

    Each row gets a seeded key from its own values (``sample_keys``); the sample is the ``n`` rows of smallest key
    (a uniform sample, without replacement), found in one pass that keeps only rows whose key is below
    ``1.5 n / N`` of the key range. The same ``seed`` gives the same rows whatever the blocks, their order or the
    cluster (Ray's ``random_sample`` does not). Fewer than ``n`` rows: all of them."""
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    total = dataset.count()
    columns = [column] + ([id_column] if id_column else [])
    fraction = min(1.0, 1.5 * n / max(total, 1))
    while True:
        cut = min(int(fraction * 2.0 ** 64), 2 ** 64 - 1)
        kept = dataset.select_columns(columns).map_batches(_below, fn_kwargs=dict(column=column, seed=seed, cut=cut),
                                                           batch_format="pyarrow")
        table = _concat(ray.get(kept.to_arrow_refs()))
        if table.num_rows >= min(n, total) or fraction >= 1:
            break
        fraction = min(1.0, fraction * 2)
    if table.num_rows:
        keys = table.column("_key").to_numpy()
        table = table.take(np.argsort(keys, kind="stable")[:n])
    x = shards.column_matrix(table.column(column), "the sample")
    if id_column:
        return table.column(id_column).to_numpy(zero_copy_only=False), x
    return x


def _concat(tables: List[Any]) -> Any:
    import pyarrow as pa
    tables = [t for t in tables if t.num_rows] or tables[:1]
    return pa.concat_tables(tables) if tables else pa.table({})


class _Search:
    """Ray actor: each batch searched by every setting (a model and a size) for the queries; per setting and query,
    the batch's top ``k`` as rows ``(setting, query, id, score)``."""

    def __init__(self, settings: List[Tuple[ModelSource, Optional[int]]], queries: Any, k: int, column: str,
                 id_column: str):
        self.settings = [(source.load(1), dimension) for source, dimension in settings]
        self.queries = ray.get(queries) if isinstance(queries, ray.ObjectRef) else queries
        self.k, self.column, self.id_column = k, column, id_column

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa
        from .index import Index
        x = shards.column_matrix(batch.column(self.column), _where(batch, "a batch of the data set"),
                                 width=self.queries.shape[1])
        ids = batch.column(self.id_column).to_numpy(zero_copy_only=False)
        k = min(self.k, len(x))
        parts = []
        for s, (model, dimension) in enumerate(self.settings):
            rows, scores = Index(x, model, dimension=dimension, threads=1, progress=False).search(self.queries, k)
            nq = len(self.queries)
            parts.append(pa.table({"setting": np.full(nq * k, s, np.int32),
                                   "query": np.repeat(np.arange(nq, dtype=np.int64), k),
                                   "id": pa.array(ids[rows.reshape(-1)]), "score": scores.reshape(-1)}))
        return pa.concat_tables(parts)


def _search(dataset: "ray.data.Dataset", queries: np.ndarray, k: int, settings: List[Tuple[Any, Optional[int]]],
            column: str, id_column: str, batch_size: int, concurrency: Any) -> List[Tuple[np.ndarray, np.ndarray]]:
    from ._native import as_matrix
    q = as_matrix(queries, "queries")
    candidates = dataset.map_batches(
        _Search, fn_constructor_kwargs=dict(settings=[(ModelSource.of(a), m) for a, m in settings],
                                            queries=ray.put(q), k=k, column=column, id_column=id_column),
        batch_format="pyarrow", batch_size=batch_size, compute=_compute(concurrency, 1))
    table = _concat(ray.get(candidates.to_arrow_refs()))
    setting = table.column("setting").to_numpy()
    query = table.column("query").to_numpy()
    ids = table.column("id").to_numpy(zero_copy_only=False)
    scores = table.column("score").to_numpy()
    # Best first; ties by id, so the merge does not depend on how the data set was cut into blocks.
    order = np.lexsort((np.unique(ids, return_inverse=True)[1].reshape(-1), -scores, query, setting))
    results = []
    for s in range(len(settings)):
        chosen = order[setting[order] == s]
        by_query = query[chosen]
        starts = np.searchsorted(by_query, np.arange(len(q)))
        counts = np.diff(np.append(starts, len(chosen)))
        if counts.min(initial=k) < k:
            raise ValueError(f"k = {k} is more than the data set's {int(counts.min())} rows")
        take = (starts[:, None] + np.arange(k)[None, :]).reshape(-1)
        results.append((ids[chosen[take]].reshape(len(q), k), scores[chosen[take]].reshape(len(q), k)))
    return results


def search(dataset: "ray.data.Dataset", queries: Any, k: int = 10, *, adaptor: Any = None,
           dimension: Optional[int] = None, column: str = "embedding", id_column: str = "id",
           batch_size: int = 65536, concurrency: Any = None) -> Tuple[np.ndarray, np.ndarray]:
    """Exact cosine search of the raw ``queries`` (``(n, d)``) over the whole data set at size ``dimension``
    (through ``adaptor``; None: truncation): every block is searched by an ``Index`` where it lies and the blocks'
    top ``k`` are merged. Returns ``(ids, scores)``, both ``(n, k)``, best first, ties by id: the same documents as
    one ``Index.search`` over the whole corpus."""
    return _search(dataset, queries, k, [(adaptor, dimension)], column, id_column, batch_size, concurrency)[0]


def neighbour_recall(dataset: "ray.data.Dataset", adaptor: Any, *, dims: Optional[Sequence[int]] = None,
                     sample: int = 1000, k: int = 10, column: str = "embedding", id_column: str = "id",
                     seed: int = 0, batch_size: int = 65536, concurrency: Any = None) -> Dict[int, float]:
    """Label-free quality at scale: ``sample`` documents drawn from the data set are the queries; each one's
    reference is its top ``k`` among the other documents by the full original vectors' cosine, and at each size
    ``m`` its top ``k`` by the size-``m`` embeddings (itself excluded, by id); returns
    ``{m: mean |top_k,m ∩ top_k| / k}`` (``matryoshka.neighbour_recall``'s metric, over the whole data set). One pass
    over the data for the reference and every size."""
    model = ModelSource.of(adaptor).load()
    sizes = list(dims) if dims is not None else (model.dims_ if model is not None else None)
    if not sizes:
        raise ValueError("give dims (the sizes to measure) when adaptor is None")
    query_ids, queries = globals()["sample"](dataset, sample, column=column, id_column=id_column, seed=seed)
    settings = [(None, None)] + [(adaptor, int(m)) for m in sizes]
    found = _search(dataset, queries, k + 1, settings, column, id_column, batch_size, concurrency)

    def without_self(ids: np.ndarray) -> List[List[Any]]:
        return [[d for d in row if d != own][:k] for row, own in zip(ids.tolist(), query_ids.tolist())]

    reference = without_self(found[0][0])
    recall = {}
    for m, (ids, _) in zip(sizes, found[1:]):
        got = without_self(ids)
        recall[int(m)] = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(got, reference)]))
    return recall


# --- the command ----------------------------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m matryoshka.ray",
        description="Matryoshka on a Ray cluster: apply an adaptor to sharded embeddings, or measure its label-free "
                    "quality over all of them. Shards are Parquet files (an id column and a list-of-floats "
                    "embedding column) or embedding-reader's .npy shards with Parquet metadata.")
    commands = parser.add_subparsers(dest="command", required=True)

    def common(command: argparse.ArgumentParser) -> None:
        command.add_argument("--input", required=True, help="folder of shards (or one file)")
        command.add_argument("--metadata", help="embedding-reader's metadata folder for .npy shards (paired in sorted "
                                                "order); default: same-stem .parquet files beside them")
        command.add_argument("--adaptor", help="the model file (fit's output), readable on every node; "
                                               "omit for plain truncation")
        command.add_argument("--column", default="embedding", help="the embedding column (default: embedding)")
        command.add_argument("--id-column", default="id", help="the id column (default: id)")
        command.add_argument("--address", default=None,
                             help="the Ray cluster ('auto': the one this machine belongs to; default: RAY_ADDRESS, "
                                  "else a local Ray started for this job)")
        command.add_argument("--concurrency", type=int, help="actors (default: one per CPU of the cluster)")

    run = commands.add_parser("apply", help="write the size-m embeddings of every shard, shard for shard")
    common(run)
    run.add_argument("--output", required=True, help="output folder (same shard names; _SUCCESS written last)")
    run.add_argument("--dimension", type=int, required=True, help="the size m")
    run.add_argument("--precision", help="write codes instead of float32: float16, int8, int4, int2 or binary")
    run.add_argument("--threads", type=int, default=1, help="CPUs and library threads per actor (default 1)")
    run.add_argument("--block-rows", type=int, default=16384,
                     help="rows per block: memory per actor is about two blocks (default 16384)")
    run.add_argument("--overwrite", action="store_true", help="allow an output folder that already holds output")

    recall = commands.add_parser("neighbour-recall", help="label-free quality over the whole data set")
    common(recall)
    recall.add_argument("--dims", help="sizes, comma-separated (default: the model's)")
    recall.add_argument("--sample", type=int, default=1000, help="documents drawn as queries (default 1000)")
    recall.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    recall.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m matryoshka.ray``: see ``--help``."""
    arguments = _parser().parse_args(argv)
    if arguments.command == "apply" and arguments.dimension < 1:
        print("matryoshka.ray: --dimension must be positive", file=sys.stderr)
        return 2
    ray.init(address=arguments.address, log_to_driver=False, configure_logging=False)
    try:
        if arguments.command == "apply":
            summary = apply_files(arguments.input, arguments.output, arguments.adaptor, arguments.dimension,
                                  metadata=arguments.metadata, column=arguments.column,
                                  id_column=arguments.id_column or None, precision=arguments.precision,
                                  block_rows=arguments.block_rows, concurrency=arguments.concurrency,
                                  threads=arguments.threads, overwrite=arguments.overwrite)
            print(json.dumps(summary))
        else:
            dataset = read(arguments.input, metadata=arguments.metadata, column=arguments.column,
                           id_column=arguments.id_column)
            dims = [int(m) for m in arguments.dims.split(",")] if arguments.dims else None
            result = neighbour_recall(dataset, arguments.adaptor, dims=dims, sample=arguments.sample,
                                      seed=arguments.seed, concurrency=arguments.concurrency)
            if arguments.json:
                print(json.dumps({"neighbour-recall@10": result}))
            else:
                print("dimension\tneighbour-recall@10")
                for m, value in result.items():
                    print(f"{m}\t{value:.4f}")
    except (ShardError, ValueError, OSError) as error:
        print(f"matryoshka.ray: {error}", file=sys.stderr)
        return 1
    except ray.exceptions.RayError as error:
        cause = getattr(error, "cause", None) or error
        print(f"matryoshka.ray: {_message(cause)}", file=sys.stderr)
        return 1
    finally:
        ray.shutdown()
    return 0


def _message(error: BaseException) -> str:
    """The user's error inside Ray's wrappers (the first line of the innermost cause)."""
    while isinstance(error, ray.exceptions.RayError) and getattr(error, "cause", None) is not None:
        error = error.cause
    text = str(error).strip().splitlines()
    return text[-1] if text else type(error).__name__


__all__ = ["apply", "apply_files", "read", "sample", "sample_keys", "search", "neighbour_recall", "main"]

if __name__ == "__main__":
    from matryoshka.ray import main as _main
    sys.exit(_main())
