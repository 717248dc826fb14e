"""Judged metrics (nDCG@10, Recall@100, MRR@10) and label-free neighbour-recall@10 at every size."""

from __future__ import annotations

import ctypes
import json
from typing import Any, Dict, Optional, Sequence

from . import _native
from ._native import Progress, as_matrix, call, float_pointer, lib
from .adaptor import Adaptor, model_pointer


class EvaluationReport(dict):
    """``matryoshka evaluate --json``'s report as a dict: ``data``, ``method``, ``judged_queries``, ``results``
    (one entry per size: ``dimension``, ``ndcg@10``, ``recall@100``, ``mrr@10`` with their standard errors
    ``*_stderr``, and ``neighbour-recall@10`` when measured), among others. Values are fractions in [0, 1]."""

    def to_frame(self):
        """The results as a pandas DataFrame indexed by dimension (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as error:
            raise ImportError("to_frame needs pandas: pip install pandas") from error
        frame = pd.DataFrame(self["results"])
        return frame.set_index(["dimension", "precision"] if "precision" in frame else "dimension")

    @property
    def by_dimension(self) -> Dict[int, Dict[str, Any]]:
        """The results keyed by dimension (with codes, the last precision's result of each size)."""
        return {row["dimension"]: row for row in self["results"]}


def _run(adaptor: Optional[Adaptor], corpus, queries, judgements, settings: dict, threads, progress) -> EvaluationReport:
    x = as_matrix(corpus, "corpus")
    q = None if queries is None else as_matrix(queries, "queries")
    if q is not None and q.shape[1] != x.shape[1]:
        raise ValueError(f"queries: {q.shape[1]}-d rows, but the corpus is {x.shape[1]}-d")
    report = ctypes.c_void_p()
    arguments = (float_pointer(x), x.shape[0], x.shape[1], float_pointer(q), 0 if q is None else q.shape[0],
                 judgements(x, q) if judgements else None, json.dumps(settings).encode(), ctypes.byref(report),
                 _native.threads_argument(threads))
    with model_pointer(adaptor) as model:
        call(lib.mtr_evaluate, model, *arguments, progress=progress)
    return EvaluationReport(json.loads(_native.take_string(report) or "{}"))


def _sizes(dims: Optional[Sequence[int]]) -> Optional[list]:
    if dims is None:
        return None
    values = [int(m) for m in dims]
    if not values or any(m < 1 for m in values):
        raise ValueError(f"dims must be positive sizes, got {list(dims)!r}")
    return values


def evaluate(corpus: Any, queries: Any, qrels: Any, adaptor: Optional[Adaptor] = None, *,
             dims: Optional[Sequence[int]] = None, corpus_ids: Optional[Sequence] = None,
             query_ids: Optional[Sequence] = None, neighbour_sample: Optional[int] = None,
             shortlist_dimension: Optional[int] = None, shortlist_size: Optional[int] = None,
             per_query: bool = False, precision: Optional[Sequence[str]] = None, scoring: str = "asymmetric",
             rescore: Optional[int] = None, keep: Optional[float] = None, name: str = "data",
             threads: Optional[int] = None, progress: Progress = True) -> EvaluationReport:
    """nDCG@10, Recall@100 and MRR@10 (with standard errors across queries) of ``adaptor``'s embeddings (default:
    truncation) at each size, as ``matryoshka evaluate --json`` computes them, plus neighbour-recall@10 on a sample
    of corpus documents (``neighbour_sample``; 0 skips it).

    ``qrels`` is ``{query id: {document id: grade}}`` or ``(query id, document id, grade)`` triples; ids are
    ``corpus_ids`` / ``query_ids`` (default: row numbers). ``dims`` defaults to powers of two from 16, then the
    output dimension. With ``shortlist_dimension``: the funnel (top ``shortlist_size`` at that size, re-ranked).

    With ``precision`` (a list such as ``["int8", "binary"]``) the codes of every size are scored instead, as
    ``evaluate --precision`` scores them: one result per size and precision with its bytes per vector and whether
    another point dominates it; ``scoring`` (``asymmetric`` or ``hamming`` for binary), ``rescore=K`` (the best K
    by the codes re-scored with the full vectors) and ``keep`` (the fewest bytes keeping this share of the full
    vectors' nDCG@10, in the report's ``fewest_bytes``) as there.
    Returns an ``EvaluationReport`` (a dict; ``.to_frame()`` gives a pandas DataFrame)."""
    settings: Dict[str, Any] = {"name": name, "per_query": bool(per_query),
                                "method": "truncate" if adaptor is None else "adaptor"}
    if dims is not None:
        settings["dims"] = _sizes(dims)
    if neighbour_sample is not None:
        if int(neighbour_sample) < 0:
            raise ValueError(f"neighbour_sample must be 0 or more, got {neighbour_sample}")
        settings["neighbour_sample"] = int(neighbour_sample)
    if shortlist_dimension is not None:
        settings["shortlist_dimension"] = int(shortlist_dimension)
        settings["shortlist_size"] = int(shortlist_size or 100)
        if settings["shortlist_dimension"] < 1 or settings["shortlist_size"] < 1:
            raise ValueError("shortlist_dimension and shortlist_size must be positive")
    if precision is not None:
        settings["precision"] = [precision] if isinstance(precision, str) else [str(p) for p in precision]
        settings["scoring"] = scoring
        if rescore is not None:
            settings["rescore"] = int(rescore)
        if keep is not None:
            settings["keep"] = float(keep)
    if queries is None or qrels is None:
        raise ValueError("evaluate needs queries and qrels; neighbour_recall needs neither")
    return _run(adaptor, corpus, queries,
                lambda x, q: _native.judgements_json(qrels, x.shape[0], q.shape[0], corpus_ids, query_ids),
                settings, threads, progress)


def neighbour_recall(corpus: Any, adaptor: Optional[Adaptor] = None, *, dims: Optional[Sequence[int]] = None,
                     sample: Optional[int] = None, queries: Any = None, reference: str = "original",
                     threads: Optional[int] = None, progress: Progress = True) -> Dict[int, float]:
    """Label-free quality: for ``sample`` corpus documents (or the given ``queries``), the share of their 10 nearest
    neighbours by the full original vectors that the size-``m`` embeddings also rank in their top 10, at each size.
    ``reference`` is the full-dimension geometry: ``original``, ``centred`` or ``auto``. Returns ``{m: recall}``."""
    settings: Dict[str, Any] = {"reference": reference, "method": "truncate" if adaptor is None else "adaptor"}
    if dims is not None:
        settings["dims"] = _sizes(dims)
    if sample is not None:
        if int(sample) < 1:
            raise ValueError(f"sample must be positive, got {sample}")
        settings["neighbour_sample"] = int(sample)
    report = _run(adaptor, corpus, queries, None, settings, threads, progress)
    return {row["dimension"]: row["neighbour-recall@10"] for row in report["results"]}


__all__ = ["evaluate", "neighbour_recall", "EvaluationReport"]
