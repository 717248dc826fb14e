"""Matryoshka: make any embedding model's vectors shrinkable without losing retrieval quality.

A thin Python package over the Swift library (loaded with ctypes; numpy in, numpy out): the same fit, forward pass,
search and metrics as the ``matryoshka`` command line, in scikit-learn's shape.

- ``Adaptor``: ``fit(corpus[, queries, qrels])``, ``transform(X, dimension=m)``, ``save``/``load`` (the CLI's
  safetensors model file).
- ``Index``: exact or funnel cosine search at size ``m``; ``search(Q, k)`` returns ``(ids, scores)``.
- ``evaluate``: nDCG@10, Recall@100, MRR@10 at every size; ``neighbour_recall``: label-free quality.

Long calls release the GIL, report progress (a tqdm bar when tqdm is installed) and stop on Ctrl-C with
``KeyboardInterrupt``, writing nothing. Bad input raises ``ValueError`` (``MatryoshkaError`` for what the library
finds, with its message).
"""

from ._native import LIBRARY_VERSION, MatryoshkaError
from .adaptor import Adaptor
from .evaluation import EvaluationReport, evaluate, neighbour_recall
from .index import Index

__version__ = "0.2.0"

__all__ = ["Adaptor", "Index", "evaluate", "neighbour_recall", "EvaluationReport", "MatryoshkaError",
           "LIBRARY_VERSION", "__version__"]
