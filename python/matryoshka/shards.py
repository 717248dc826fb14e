"""Embedding shards as data lakes hold them, read and written through pyarrow: the step every engine runs.

Two layouts are read:

- **Parquet**: ``*.parquet`` files under a folder, each with an id column and an embedding column that is a list,
  large list or fixed-size list of floats (float16, float32 or float64), one vector per row.
- **embedding-reader's** (``.npy`` shards beside Parquet metadata): ``*.npy`` files of ``(n, d)`` floats, each with
  its metadata rows (the ids) in a Parquet file, either with the same stem in the same folder or, as
  embedding-reader and clip-retrieval write them, in a separate metadata folder, paired in sorted order
  (``img_emb_0.npy`` with ``metadata_0.parquet``).

Output keeps the input's shard structure and names, and every row (ids and other columns unchanged; the embedding
column replaced by the size-``m`` embedding as a fixed-size list, or by its codes). Each output file is written to a
temporary name in the output folder and renamed into place when complete, so a file that exists is whole; a job
that finishes writes ``_SUCCESS`` last (Hadoop's and Spark's marker), and a job that starts removes an old one.
Memory is two blocks of rows (``block_rows``: one transformed while the next is read) whatever the shard's size.

Errors name the shard, the row and what was expected (``ShardError``).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import re
import shutil
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import numpy as np

from ._native import MatryoshkaError

SUCCESS = "_SUCCESS"
"""The marker a finished job writes into its output folder, last."""

PathLike = Union[str, "os.PathLike[str]"]


class ShardError(ValueError):
    """A shard that cannot be processed: the message names the shard, the row where there is one, and what was
    expected."""


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as error:  # pragma: no cover - the engines bring pyarrow
        raise ImportError("matryoshka's shard I/O needs pyarrow: pip install pyarrow") from error
    return pyarrow


# --- the model, shipped to workers ---------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ModelSource:
    """What a worker loads its adaptor from: a model file's path (which every worker must be able to read: shared
    storage), or the file's bytes (shipped with the task). ``None`` for both means truncation (no model).
    Loaded once per worker process and kept (``load``)."""

    path: Optional[str] = None
    data: Optional[bytes] = None

    @staticmethod
    def of(adaptor: Any) -> "ModelSource":
        """``adaptor`` as a source: an ``Adaptor`` (its bytes), a path to a model file, or None (truncation)."""
        from .adaptor import Adaptor
        if adaptor is None:
            return ModelSource()
        if isinstance(adaptor, Adaptor):
            return ModelSource(data=adaptor.to_bytes())
        if isinstance(adaptor, (str, os.PathLike)):
            return ModelSource(path=os.path.abspath(os.fspath(adaptor)))  # workers run in other folders
        raise ValueError(f"adaptor must be a matryoshka.Adaptor, a model file's path or None, got "
                         f"{type(adaptor).__name__}")

    def load(self, threads: Optional[int] = 1):
        """The adaptor (None for truncation), loaded once per process. A missing or corrupt file raises
        ``MatryoshkaError`` naming the file and the host."""
        from .adaptor import Adaptor
        if self.path is None and self.data is None:
            return None
        key = (self.path, None if self.data is None else hash(self.data), threads)
        with _CACHE_LOCK:
            cached = _MODELS.get(key)
            if cached is None:
                if self.data is not None:
                    cached = Adaptor.from_bytes(self.data, threads=threads, progress=False)
                else:
                    try:
                        cached = Adaptor.load(self.path, threads=threads, progress=False)
                    except MatryoshkaError as error:
                        raise MatryoshkaError(f"on host {socket.gethostname()} (pid {os.getpid()}): {error}") from None
                _MODELS[key] = cached
        return cached


_MODELS: Dict[Any, Any] = {}
_CACHE_LOCK = threading.Lock()


# --- finding shards --------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Shard:
    """One input file and where its output goes.

    ``name`` is the output's path relative to the output folder (the input's own relative path); ``path`` the
    embedding file (``.parquet`` or ``.npy``); ``metadata`` the Parquet rows beside a ``.npy`` shard (or None)."""

    name: str
    path: str
    layout: str
    metadata: Optional[str] = None
    metadata_name: Optional[str] = None


def _number(path: Path) -> Optional[int]:
    found = re.findall(r"\d+", path.stem)
    return int(found[-1]) if found else None


def discover(input: PathLike, metadata: Optional[PathLike] = None) -> List[Shard]:
    """The shards of a folder (or one file), sorted by path: ``.npy`` shards when there are any (embedding-reader's
    layout; their metadata from ``metadata``, a folder paired in sorted order, or from same-stem ``.parquet`` files
    beside them), Parquet files otherwise. Raises ``ShardError`` when there are none or the pairing fails."""
    root = Path(os.path.abspath(input))  # absolute: workers run in other folders
    if not root.exists():
        raise ShardError(f"{root}: no such file or folder")
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file()
                                                 and not p.name.startswith((".", "_")))
    base = root.parent if root.is_file() else root
    arrays = [p for p in files if p.suffix == ".npy"]
    tables = [p for p in files if p.suffix == ".parquet"]
    if arrays:
        if metadata is not None:
            meta_root = Path(os.path.abspath(metadata))
            pairs = sorted(p for p in meta_root.rglob("*.parquet") if not p.name.startswith((".", "_")))
            if len(pairs) != len(arrays):
                raise ShardError(f"{root}: {len(arrays)} .npy shards but {len(pairs)} metadata files in {meta_root}")
            for a, m in zip(arrays, pairs):
                if _number(a) is not None and _number(m) is not None and _number(a) != _number(m):
                    raise ShardError(f"{a}: paired with metadata {m} in sorted order, but their numbers differ "
                                     f"({_number(a)} and {_number(m)})")
            return [Shard(str(a.relative_to(base)), str(a), "npy", str(m), str(Path("metadata") / m.relative_to(meta_root)))
                    for a, m in zip(arrays, pairs)]
        shards = []
        for a in arrays:
            beside = a.with_suffix(".parquet")
            shards.append(Shard(str(a.relative_to(base)), str(a), "npy", str(beside) if beside.exists() else None,
                                str(beside.relative_to(base)) if beside.exists() else None))
        return shards
    if not tables:
        raise ShardError(f"{root}: no .parquet or .npy shards")
    return [Shard(str(t.relative_to(base)), str(t), "parquet") for t in tables]


# --- reading vectors -------------------------------------------------------------------------------------------------

def column_matrix(column: Any, where: str, first_row: int = 0, width: Optional[int] = None,
                  check_values: bool = True) -> np.ndarray:
    """An Arrow column of vectors (list, large list or fixed-size list of floats; or a chunked one) as a float32
    ``(n, d)`` C-order array, refusing nulls, ragged rows, another width than ``width``, non-float values and (with
    ``check_values``) NaN, infinities and all-zero rows, each with a ``ShardError`` naming ``where`` and the row
    (``first_row`` + the row in the column)."""
    pa = _pyarrow()
    import pyarrow.compute as pc
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    kind = column.type
    if isinstance(kind, pa.ExtensionType):  # Ray's tensor columns and the like
        return _checked(np.ascontiguousarray(column.to_numpy_ndarray() if hasattr(column, "to_numpy_ndarray")
                                             else np.stack(column.to_numpy(zero_copy_only=False)), dtype=np.float32),
                        where, first_row, width, check_values)
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)):
        raise ShardError(f"{where}: the embedding column is {kind}, expected a list of floats (one vector per row)")
    if not pa.types.is_floating(kind.value_type):
        raise ShardError(f"{where}: the embedding column holds {kind.value_type}, expected float16, float32 or float64")
    n = len(column)
    if column.null_count:
        row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        raise ShardError(f"{where}: row {first_row + row}: the embedding is null")
    if pa.types.is_fixed_size_list(kind):
        d = kind.list_size
    else:
        lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
        d = int(lengths[0]) if n else (width or 0)
        ragged = np.flatnonzero(lengths != d)
        if len(ragged):
            row = int(ragged[0])
            raise ShardError(f"{where}: row {first_row + row}: {int(lengths[row])} values, but row {first_row} has {d}")
    values = column.flatten()
    if values.null_count:
        row = int(np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))[0]) // max(d, 1)
        raise ShardError(f"{where}: row {first_row + row}: the embedding holds a null value")
    x = values.to_numpy(zero_copy_only=False).astype(np.float32, copy=False).reshape(n, d)
    return _checked(np.ascontiguousarray(x), where, first_row, width, check_values)


def _checked(x: np.ndarray, where: str, first_row: int, width: Optional[int], values: bool = True) -> np.ndarray:
    """`x`, refused with a ShardError for another shape or width and (with `values`) a NaN, infinite or zero row."""
    if x.ndim != 2:
        raise ShardError(f"{where}: expected one vector per row (a 2-D array), got shape {x.shape}")
    if width is not None and x.shape[1] != width:
        raise ShardError(f"{where}: rows of {x.shape[1]} values, but the adaptor takes {width}-d vectors")
    if not values:
        return x
    finite = np.isfinite(x).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise ShardError(f"{where}: row {first_row + row}: the embedding holds NaN or infinity")
    zero = ~x.any(axis=1)
    if zero.any():
        row = int(np.flatnonzero(zero)[0])
        raise ShardError(f"{where}: row {first_row + row}: the embedding is all zeros (it has no direction)")
    return x


def embed_block(model: Any, x: np.ndarray, dimension: Optional[int], precision: Optional[str], where: str,
                first_row: int = 0, threads: Optional[int] = 1) -> np.ndarray:
    """The size-``dimension`` embeddings (or codes) of a block of raw vectors by ``model`` (an ``Adaptor``, or None
    for truncation): ``Adaptor.transform``, whose library call checks every row (finite, not zero); a row it refuses
    is named as ``where``'s row ``first_row + i`` in a ``ShardError``."""
    try:
        if model is None:
            from .adaptor import transform
            return transform(None, x, dimension, threads, False)
        return model.transform(x, dimension=dimension, precision=precision)
    except MatryoshkaError as error:
        _checked(x, where, first_row, None if model is None else model.n_features_in_)
        raise ShardError(f"{where}: rows {first_row}–{first_row + len(x) - 1}: {error}") from None


def vectors_array(y: np.ndarray) -> Any:
    """``(n, m)`` numpy rows as an Arrow fixed-size list column (float32 embeddings, or int8/uint8 codes)."""
    pa = _pyarrow()
    return pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(y).reshape(-1)), y.shape[1])


def iterate(shard: Shard, column: str = "embedding", id_column: Optional[str] = "id", block_rows: int = 16384,
            width: Optional[int] = None, check_values: bool = True) -> Iterator[Tuple[int, np.ndarray, Any]]:
    """The shard's rows block by block: ``(first row, (n, d) float32 vectors, the block as an Arrow record batch or
    None for .npy shards)``, checked by ``column_matrix``'s rules (the values too with ``check_values``; the library
    checks them again itself). Raises ``ShardError`` for a missing column or file."""
    pa = _pyarrow()
    import pyarrow.parquet as pq
    if shard.layout == "parquet":
        try:
            # pre_buffer=False: pyarrow would otherwise buffer every row group of the file (memory ∝ the shard).
            table = pq.ParquetFile(shard.path, pre_buffer=False)
        except (OSError, pa.ArrowException) as error:
            raise ShardError(f"{shard.path}: not a readable Parquet file: {error}") from None
        names = table.schema_arrow.names
        for wanted in [column] + ([id_column] if id_column else []):
            if wanted not in names:
                raise ShardError(f"{shard.path}: no column {wanted!r} (it has {', '.join(names)})")
        start = 0
        for batch in table.iter_batches(batch_size=block_rows):
            where = shard.path
            x = column_matrix(batch.column(names.index(column)), where, start, width, check_values)
            yield start, x, batch
            start += batch.num_rows
        return
    try:
        array = np.load(shard.path, mmap_mode="r")
    except (OSError, ValueError) as error:
        raise ShardError(f"{shard.path}: not a readable .npy file: {error}") from None
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.floating):
        raise ShardError(f"{shard.path}: expected a 2-D array of floats (n, d), got {array.dtype} {array.shape}")
    if shard.metadata is not None:
        meta = pq.ParquetFile(shard.metadata)
        if meta.metadata.num_rows != array.shape[0]:
            raise ShardError(f"{shard.path}: {array.shape[0]} vectors, but its metadata {shard.metadata} has "
                             f"{meta.metadata.num_rows} rows")
        if id_column and id_column not in meta.schema_arrow.names:
            raise ShardError(f"{shard.metadata}: no column {id_column!r} (it has {', '.join(meta.schema_arrow.names)})")
    for start in range(0, array.shape[0], block_rows):
        x = np.array(array[start:start + block_rows], dtype=np.float32, order="C")  # read here, not on first use
        yield start, _checked(x, shard.path, start, width, check_values), None


def ids(shard: Shard, id_column: str = "id") -> np.ndarray:
    """The shard's ids in row order (from its metadata for .npy shards; row numbers when a .npy shard has none)."""
    import pyarrow.parquet as pq
    if shard.layout == "npy" and shard.metadata is None:
        return np.arange(np.load(shard.path, mmap_mode="r").shape[0])
    source = shard.metadata if shard.layout == "npy" else shard.path
    return pq.read_table(source, columns=[id_column]).column(0).to_numpy(zero_copy_only=False)


def read_ahead(blocks: Iterator[Any]) -> Iterator[Any]:
    """``blocks`` with the next one read on another thread while the caller works on this one (one block ahead, as
    the command line's ``apply`` reads); an error in the reader is raised where that block would have been. Parquet
    decoding and the library's transform both release the GIL, so the two overlap."""
    import queue
    slot: "queue.Queue[Tuple[str, Any]]" = queue.Queue(maxsize=1)
    stopping = threading.Event()

    def reader() -> None:
        try:
            for block in blocks:
                while not stopping.is_set():
                    try:
                        slot.put(("block", block), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stopping.is_set():
                    return
            slot.put(("end", None))
        except BaseException as error:  # handed to the consumer
            slot.put(("error", error))

    thread = threading.Thread(target=reader, daemon=True, name="matryoshka-read-ahead")
    thread.start()
    try:
        while True:
            kind, value = slot.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stopping.set()
        while thread.is_alive():
            try:
                slot.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()


# --- writing ---------------------------------------------------------------------------------------------------------

def _temporary(target: Path) -> Path:
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")


def apply_shard(shard: Shard, output: PathLike, model: Any, dimension: Optional[int], *, precision: Optional[str] = None,
                column: str = "embedding", id_column: Optional[str] = "id", block_rows: int = 16384,
                description: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Writes the size-``dimension`` embeddings (or their codes at ``precision``) of one shard to
    ``output / shard.name`` (and its metadata beside, for .npy shards), whole or not at all, reading the next block
    while this one is transformed (``read_ahead``) and encoding the last one meanwhile (Parquet output). ``model`` is an
    ``Adaptor`` or None (truncation). Returns ``{"shard", "rows", "seconds", "host", "pid", "peak_rss"}``
    (``peak_rss``: the worker process's peak resident memory so far, bytes)."""
    pa = _pyarrow()
    import pyarrow.parquet as pq
    started = time.perf_counter()
    target = Path(output) / shard.name
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(target)
    width = model.n_features_in_ if model is not None else None
    rows = 0

    def embed(x: np.ndarray, start: int) -> np.ndarray:
        return embed_block(model, x, dimension, precision, shard.path, start)

    try:
        if shard.layout == "parquet":
            writer = None
            # Parquet's encoding runs on another thread, one block behind the transform (it releases the GIL).
            behind = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="matryoshka-write")
            pending: Optional[concurrent.futures.Future] = None
            try:
                for start, x, batch in read_ahead(iterate(shard, column, id_column, block_rows, width, False)):
                    y = embed(x, start)
                    index = batch.schema.get_field_index(column)
                    out = batch.set_column(index, pa.field(column, pa.list_(pa.from_numpy_dtype(y.dtype), y.shape[1])),
                                           vectors_array(y))
                    if writer is None:
                        schema = out.schema.with_metadata({**(out.schema.metadata or {}),
                                                           b"matryoshka": json.dumps(description or {}).encode()})
                        writer = pq.ParquetWriter(temporary, schema)
                    if pending is not None:
                        pending.result()
                    pending = behind.submit(writer.write_batch, out.replace_schema_metadata(writer.schema.metadata))
                    rows += len(x)
                if pending is not None:
                    pending.result()
                if writer is None:  # an empty shard: an empty file of the same columns
                    source = pq.ParquetFile(shard.path).schema_arrow
                    pq.write_table(source.empty_table(), temporary)
            finally:
                behind.shutdown(wait=True)
                if writer is not None:
                    writer.close()
        else:
            array = np.load(shard.path, mmap_mode="r")
            out = None
            for start, x, _ in read_ahead(iterate(shard, column, id_column, block_rows, width, False)):
                y = embed(x, start)
                if out is None:
                    out = np.lib.format.open_memmap(temporary, mode="w+", dtype=y.dtype, shape=(array.shape[0], y.shape[1]))
                out[start:start + len(y)] = y
                rows += len(y)
            if out is None:
                np.save(temporary, np.empty((0, dimension or 0), dtype=np.float32))
            else:
                out.flush()
                del out
            if shard.metadata is not None:
                meta_target = Path(output) / (shard.metadata_name or Path(shard.metadata).name)
                meta_target.parent.mkdir(parents=True, exist_ok=True)
                meta_temporary = _temporary(meta_target)
                shutil.copyfile(shard.metadata, meta_temporary)
                os.replace(meta_temporary, meta_target)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return {"shard": shard.name, "rows": rows, "seconds": time.perf_counter() - started, "host": socket.gethostname(),
            "pid": os.getpid(), "peak_rss": peak_rss()}


def peak_rss() -> int:
    """This process's peak resident memory in bytes (Linux's VmHWM; 0 where there is none). Unlike ``ru_maxrss``
    it is not inherited from the process that started this one."""
    try:
        with open("/proc/self/status") as status:
            return next((int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:")), 0)
    except OSError:
        return 0


def begin(output: PathLike, overwrite: bool = False) -> Path:
    """Prepares an output folder (returned as an absolute path, for workers in other folders): created if missing;
    refused if it holds earlier output unless ``overwrite``; an old ``_SUCCESS`` and temporary files of interrupted
    runs are removed."""
    folder = Path(os.path.abspath(output))
    folder.mkdir(parents=True, exist_ok=True)
    existing = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
    if existing and not overwrite:
        raise ShardError(f"{folder}: already holds output ({existing[0].name}, …); choose an empty folder or overwrite")
    (folder / SUCCESS).unlink(missing_ok=True)
    for stale in folder.rglob(".*.tmp"):
        stale.unlink(missing_ok=True)
    return folder


def finish(output: PathLike, summary: Dict[str, Any]) -> None:
    """Writes ``_SUCCESS`` (the job's summary as JSON), atomically and last."""
    target = Path(output) / SUCCESS
    temporary = _temporary(target)
    temporary.write_text(json.dumps(summary, indent=1) + "\n")
    os.replace(temporary, target)


def read_matrix(input: PathLike, column: str = "embedding", id_column: Optional[str] = "id",
                metadata: Optional[PathLike] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Every shard of a folder in order, as ``(ids, (N, d) float32 vectors)``: for tests and small outputs."""
    blocks, names = [], []
    for shard in discover(input, metadata):
        parts = [x for _, x, _ in iterate(shard, column, id_column)]
        blocks.extend(parts)
        names.append(ids(shard, id_column) if id_column else np.arange(sum(len(p) for p in parts)))
    return np.concatenate(names) if names else np.empty(0), (np.concatenate(blocks) if blocks
                                                             else np.empty((0, 0), np.float32))


__all__ = ["ModelSource", "Shard", "ShardError", "SUCCESS", "discover", "column_matrix", "vectors_array", "iterate",
           "ids", "read_ahead", "embed_block", "apply_shard", "peak_rss", "begin", "finish", "read_matrix"]
