"""Matryoshka as a step in Spark jobs: ``apply`` adds the size-``m`` embedding to a DataFrame through
``mapInArrow`` (Arrow batches in, Arrow batches out, no row-by-row Python).

Each Python worker loads the model once (``ModelSource``: a model file's path readable on every executor, or an
``Adaptor`` shipped with the task as its file's bytes) and runs the same library call as ``Adaptor.transform``,
with one library thread per task by default (Spark's unit is a task per core). Spark does placement and retries: a
task that fails (a worker lost) is run again from its input, and the step gives the same rows.
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

from . import shards
from .shards import ModelSource



def _output_type(precision: Optional[str]) -> Any:
    from pyspark.sql.types import ArrayType, BinaryType, ByteType, FloatType
    if precision in (None, "float32"):
        return ArrayType(FloatType(), containsNull=False)
    if precision == "int8":
        return ArrayType(ByteType(), containsNull=False)
    if precision in ("int4", "int2", "binary"):
        return BinaryType()
    raise ValueError(f"precision must be float32, int8, int4, int2 or binary for Spark (float16 has no Spark type), "
                     f"got {precision!r}")


def apply(df: Any, adaptor: Any, dimension: Optional[int], *, column: str = "embedding",
          output_column: Optional[str] = None, precision: Optional[str] = None, threads: int = 1) -> Any:
    """``df`` with the size-``dimension`` embedding of its ``column`` (an array of floats or doubles, one raw vector
    per row) in ``output_column`` (default: replacing ``column``), as ``array<float>`` unit rows
    ``x̂[:m]/‖x̂[:m]‖``; or its codes at ``precision`` (``int8``: ``array<tinyint>``; ``int4``, ``int2``, ``binary``:
    the packed bytes as ``binary``). Every other column is unchanged. Lazy, like every Spark transformation.

    ``adaptor``: an ``Adaptor``, a model file's path readable on every executor, or None (truncation). Null, ragged,
    NaN or all-zero vectors and another width than the model's fail the task with a ``ShardError`` naming the
    partition and the row within its batch."""
    from pyspark.sql.types import StructField, StructType
    kind = _output_type(precision)
    source = ModelSource.of(adaptor)
    if column not in df.columns:
        raise ValueError(f"the DataFrame has no column {column!r} (it has {', '.join(df.columns)})")
    target = output_column or column
    fields = [StructField(f.name, kind, f.nullable) if f.name == target else f for f in df.schema.fields]
    if target not in df.columns:
        fields.append(StructField(target, kind, False))
    schema = StructType(fields)

    def step(batches: Iterator[Any]) -> Iterator[Any]:
        import numpy as np
        import pyarrow as pa
        from pyspark import TaskContext
        model = source.load(threads)
        context = TaskContext.get()
        where = f"Spark partition {context.partitionId() if context else '?'}"
        first = 0
        for batch in batches:
            x = shards.column_matrix(batch.column(batch.schema.get_field_index(column)), where, first,
                                     None if model is None else model.n_features_in_, check_values=False)
            y = shards.embed_block(model, x, dimension, precision, where, first, threads)
            first += len(x)
            if kind.typeName() == "binary":
                values = pa.array([row.tobytes() for row in y], pa.binary())
            else:
                offsets = pa.array(np.arange(0, y.size + 1, y.shape[1], dtype=np.int32))
                values = pa.ListArray.from_arrays(offsets, pa.array(y.reshape(-1)))
            names = batch.schema.names
            if target in names:
                batch = batch.set_column(names.index(target), pa.field(target, values.type, False), values)
            else:
                batch = batch.append_column(pa.field(target, values.type, False), values)
            yield batch

    return df.mapInArrow(step, schema)


__all__ = ["apply"]
