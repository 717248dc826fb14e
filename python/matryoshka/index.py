"""Exact and funnel search over a corpus embedded by an adaptor (or truncated)."""

from __future__ import annotations

import ctypes
from typing import Any, Optional, Tuple

import numpy as np

from . import _native
from ._native import Handle, Progress, as_matrix, call, float_pointer, lib
from .adaptor import Adaptor, _dimension_argument, model_pointer


class Index:
    """A corpus embedded at size ``m`` and searched by cosine, exactly or by the funnel; queries go through the same
    embedding (``matryoshka search``'s index, faiss's ``IndexPreTransform`` in spirit).

    Parameters
    ----------
    corpus : array (N, d)
        The raw corpus vectors (float32, C order; other floating types are converted once). Only the ``(N, m)``
        embeddings are kept.
    adaptor : Adaptor, optional
        The embedding's model (default: truncation of the raw vectors, ``x[:m] / ‖x[:m]‖``).
    dimension : int, optional
        The size ``m`` (default: the whole output).
    shortlist_dimension, shortlist_size : int, optional
        The funnel: the top ``shortlist_size`` (default 100) by the first ``shortlist_dimension`` coordinates,
        re-ranked at ``m``.
    threads : int, optional
        Worker threads (default: every core); results are identical for any count.
    progress : bool or callable, default True
        Progress of the corpus's embedding (see ``Adaptor``).
    """

    def __init__(self, corpus: Any, adaptor: Optional[Adaptor] = None, dimension: Optional[int] = None,
                 shortlist_dimension: Optional[int] = None, shortlist_size: Optional[int] = None,
                 threads: Optional[int] = None, progress: Progress = True):
        if shortlist_size is not None and shortlist_dimension is None:
            raise ValueError("shortlist_size goes with shortlist_dimension (the funnel)")
        x = as_matrix(corpus, "corpus")
        m = _dimension_argument(dimension)
        shortlist = 0 if shortlist_dimension is None else _dimension_argument(shortlist_dimension)
        size = 0 if shortlist_dimension is None else (100 if shortlist_size is None else int(shortlist_size))
        self.threads = threads
        index = ctypes.c_void_p()
        with model_pointer(adaptor) as model:
            call(lib.mtr_index_new, model, float_pointer(x), x.shape[0], x.shape[1], m, shortlist, size,
                 ctypes.byref(index), _native.threads_argument(threads), progress=progress)
        self._index = Handle(index.value, lib.mtr_index_free, "Index")
        count, d, dim = ctypes.c_int64(), ctypes.c_int64(), ctypes.c_int64()
        lib.mtr_index_shape(index.value, ctypes.byref(count), ctypes.byref(d), ctypes.byref(dim))
        self.ntotal: int = count.value
        """Documents indexed ``N`` (faiss's name)."""
        self.d: int = d.value
        """The raw vectors' dimension ``d`` that queries have."""
        self.dimension: int = dim.value
        """The embedding size ``m``."""

    def __len__(self) -> int:
        return self.ntotal

    def __repr__(self) -> str:
        return f"Index(ntotal={self.ntotal}, d={self.d}, dimension={self.dimension})"

    def search(self, queries: Any, k: int = 10) -> Tuple[np.ndarray, np.ndarray]:
        """The ``k`` best documents for each raw query row (``(n, d)``): ``(ids, scores)``, both ``(n, k)``, best
        first, ties by corpus order; ``ids`` are corpus row numbers (int64), ``scores`` cosines at size ``m``
        (float32). ``k`` may not exceed the corpus; a query that is zero or not finite raises ``MatryoshkaError``."""
        q = as_matrix(queries, "queries", allow_empty=True)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise ValueError(f"k must be an integer, got {k!r}")
        if not 1 <= k <= self.ntotal:
            raise ValueError(f"k must be between 1 and the corpus size {self.ntotal}, got {k}")
        if q.shape[1] != self.d:
            raise ValueError(f"queries: {q.shape[1]}-d rows, but the index embeds {self.d}-d vectors")
        ids = np.empty((q.shape[0], k), dtype=np.int64)
        scores = np.empty((q.shape[0], k), dtype=np.float32)
        with self._index as index:
            call(lib.mtr_index_search, index, float_pointer(q), q.shape[0], q.shape[1], int(k),
                 ids.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)), float_pointer(scores),
                 _native.threads_argument(self.threads), progress=False, interruptible=q.shape[0] >= 1024)
        return ids, scores

    def close(self) -> None:
        """Frees the index now; later calls raise ValueError."""
        self._index.close()


__all__ = ["Index"]
