"""The adaptor, in scikit-learn's transformer shape."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import tempfile
from typing import Any, Dict, Iterator, List, Optional, Sequence

import numpy as np

from . import _native
from ._native import Handle, MatryoshkaError, Progress, as_matrix, call, float_pointer, lib, simple_call

_METHODS = {
    "unsupervised": ("matryoshka-adaptor", False),
    "supervised": ("matryoshka-adaptor", True),
    "search-adaptor": ("search-adaptor", False),
    "smec": ("smec", False),
}


class Adaptor:
    """A Matryoshka adaptor: a small residual network over frozen embeddings, trained so that the first ``m``
    coordinates of the adapted vector keep the retrieval quality of the whole vector.

    The adapted vector is ``x̂ = P x̃ + f(P x̃)`` (``x̃`` the L2-normalised input, ``P`` an orthogonal front map, ``f`` a
    residual MLP); the size-``m`` embedding is ``x̂[:m] / ‖x̂[:m]‖``. The fit, the forward pass and the model file are
    the Swift library's, the same as ``matryoshka fit`` and ``matryoshka apply``: a seeded fit here writes the same
    file byte for byte.

    Parameters
    ----------
    method : {"unsupervised", "supervised", "search-adaptor", "smec"}
        ``unsupervised`` trains on corpus vectors alone (the Matryoshka-Adaptor, arXiv 2407.20243); ``supervised``
        adds a ranking loss on judged queries in a second stage; ``search-adaptor`` is the supervised Search-Adaptor
        baseline (arXiv 2310.08750); ``smec`` is SMEC (arXiv 2510.12474; supervised with ``supervised=True``).
    dims : sequence of int, optional
        The Matryoshka sizes ``M`` trained for (default: powers of two from 16 below ``d``, then ``d``); the
        command line's ``--sizes``.
    seed : int, optional
        Seed of initialisation, splits and sampling (default 0, as the command line).
    threads : int, optional
        Worker threads (default: every core). Results are identical for any count.
    progress : bool or callable, default True
        ``True``: a tqdm bar when tqdm is installed; a callable receives ``(done, total, message)`` (``total > 0``:
        units done of ``total``; ``0``: a message to show; ``-1``: a transient status line); ``False``: none.
    **options
        Any other option of ``matryoshka fit``, spelled with underscores (``iterations=2000``, ``center="on"``,
        ``learning_rate=1e-3``, ``k=10``, ``hard_negatives=5``, ``precision="binary"``; SMEC's switches are ``ads``,
        ``xbm`` and ``sequential``). ``matryoshka fit --help`` explains each; unknown names are an error at fit.

    Attributes (after ``fit`` or ``load``)
    ----------
    dims_ : list of int
        The sizes ``M`` the model was trained for.
    n_features_in_ : int
        The input dimension ``d``.
    n_components_ : int
        The output dimension ``D`` (the largest size).
    centred_ : bool
        Whether inputs are centred on the corpus mean before normalising.
    fingerprint_ : str
        ``sha256:<hex>`` of the model file (what reports and database tables name the model by).
    method_ : str
        The method recorded in the file.
    stages_ : list of dict
        Each training stage: ``iterations_run``, ``best_iteration`` (the kept weights), ``best_validation``,
        ``stopped_early`` (after ``fit`` only).
    best_iteration_ : int
        The kept iteration of the last stage (after ``fit`` only).
    fidelity_ : dict of int to float
        Held-out fidelity at each size at the kept iteration (unsupervised fits selected on fidelity).
    fidelity_trace_ : list of dict
        Every validation's ``{"iteration", "fidelity": {m: F_m}}``.

    Examples
    --------
    >>> adaptor = Adaptor(iterations=300).fit(corpus)                 # doctest: +SKIP
    >>> small = adaptor.transform(queries, dimension=64)              # (n, 64) unit rows  # doctest: +SKIP
    >>> adaptor.save("u.safetensors")                                 # doctest: +SKIP
    """

    def __init__(self, method: str = "unsupervised", dims: Optional[Sequence[int]] = None, seed: Optional[int] = None,
                 threads: Optional[int] = None, progress: Progress = True, **options: Any):
        self.method = method
        self.dims = dims
        self.seed = seed
        self.threads = threads
        self.progress = progress
        self.options = options
        self._model: Optional[Handle] = None

    # scikit-learn's parameter protocol.
    def get_params(self, deep: bool = True) -> Dict[str, Any]:
        """The constructor's parameters (scikit-learn's protocol)."""
        return {"method": self.method, "dims": self.dims, "seed": self.seed, "threads": self.threads,
                "progress": self.progress, **self.options}

    def set_params(self, **params: Any) -> "Adaptor":
        """Sets constructor parameters (scikit-learn's protocol); returns self."""
        for name, value in params.items():
            if name in ("method", "dims", "seed", "threads", "progress"):
                setattr(self, name, value)
            else:
                self.options[name] = value
        return self

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.get_params().items() if v is not None and not (k == "progress" and v is True)}
        return "Adaptor(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    def _fit_options(self) -> Dict[str, str]:
        if self.method not in _METHODS:
            raise ValueError(f"method must be one of {', '.join(_METHODS)}, got {self.method!r}")
        name, supervised = _METHODS[self.method]
        options: Dict[str, str] = {"method": name}
        if supervised:
            options["supervised"] = "true"
        if self.dims is not None:
            options["sizes"] = ",".join(str(int(m)) for m in self.dims)
        if self.seed is not None:
            options["seed"] = str(int(self.seed))
        for key, value in self.options.items():
            if value is None:
                value = "none"
            elif isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, (list, tuple)):
                value = ",".join(str(v) for v in value)
            options[key.replace("_", "-")] = str(value)
        return options

    def fit(self, corpus: Any, queries: Any = None, qrels: Any = None, *, corpus_ids: Optional[Sequence] = None,
            query_ids: Optional[Sequence] = None, y: Any = None) -> "Adaptor":
        """Trains on ``corpus`` (``(N, d)`` raw vectors); supervised methods also take ``queries`` (``(n, d)``) and
        ``qrels``: ``{query id: {document id: grade}}`` or ``(query id, document id, grade)`` triples, ids being
        ``corpus_ids`` / ``query_ids`` (default: row numbers). Returns self. Ctrl-C stops it (``KeyboardInterrupt``)
        and leaves the adaptor as it was."""
        options = self._fit_options()
        x = as_matrix(corpus, "corpus")
        q = None
        judgements = None
        if qrels is not None or queries is not None:
            if qrels is None or queries is None:
                raise ValueError("supervised fits take both queries and qrels")
            q = as_matrix(queries, "queries")
            if q.shape[1] != x.shape[1]:
                raise ValueError(f"queries: {q.shape[1]}-d rows, but the corpus is {x.shape[1]}-d")
            judgements = _native.judgements_json(qrels, x.shape[0], q.shape[0], corpus_ids, query_ids, split="train")
        model = ctypes.c_void_p()
        report = ctypes.c_void_p()
        call(lib.mtr_fit, json.dumps(options).encode(), float_pointer(x), x.shape[0], x.shape[1], float_pointer(q),
             0 if q is None else q.shape[0], judgements, ctypes.byref(model), ctypes.byref(report),
             _native.threads_argument(self.threads), progress=self.progress)
        record = json.loads(_native.take_string(report) or "{}")
        self._adopt(model.value)
        self.stages_: List[Dict[str, Any]] = record.get("stages", [])
        if self.stages_:
            self.best_iteration_ = self.stages_[-1]["best_iteration"]
        trace = record.get("fidelity")
        if trace:
            self.fidelity_trace_ = [{"iteration": p["iteration"], "fidelity": dict(zip(trace["sizes"], p["fidelity"]))}
                                    for p in trace["points"]]
            kept = [p for p in self.fidelity_trace_ if p["iteration"] == self.best_iteration_]
            if kept:
                self.fidelity_ = kept[-1]["fidelity"]
        return self

    def _adopt(self, pointer: int) -> None:
        if self._model is not None:
            self._model.close()
        self._model = Handle(pointer, lib.mtr_model_free, "adaptor")
        info = self.info()
        self.dims_: List[int] = info["sizes"]
        self.n_features_in_: int = info["input_dimension"]
        self.n_components_: int = info["output_dimension"]
        self.centred_: bool = info["centred"]
        self.fingerprint_: str = info["fingerprint"]
        self.method_: str = info["method"]

    def _handle(self) -> Handle:
        if self._model is None:
            raise ValueError("this Adaptor is not fitted: call fit() or Adaptor.load(path) first")
        return self._model

    def info(self) -> Dict[str, Any]:
        """The model's description: input and output dimensions, sizes, method, centring, calibration,
        fingerprints and the training record (as stored in its file)."""
        out = ctypes.c_void_p()
        with self._handle() as pointer:
            simple_call(lib.mtr_model_info, pointer, ctypes.byref(out))
        return json.loads(_native.take_string(out) or "{}")

    def transform(self, X: Any, dimension: Optional[int] = None, precision: Optional[str] = None) -> np.ndarray:
        """The adapted vectors of ``X`` (``(n, d)`` raw vectors), as ``matryoshka apply`` writes them.

        With ``dimension=m``: ``(n, m)`` unit rows ``x̂[:m] / ‖x̂[:m]‖``, ready for inner-product search (only the
        work those ``m`` coordinates need is done). Without it: the whole adapted vectors ``x̂`` (``(n, D)``, not
        normalised). Rows that hold NaN or infinities, or are all zeros, raise ``MatryoshkaError`` naming the row.

        With ``precision`` (and ``dimension``) the codes of the size-``m`` embedding, as ``apply --precision`` writes
        them: ``float16`` (``(n, m)`` float16 unit rows), ``int8`` (``(n, m)`` int8: each coordinate's level on its
        corpus range, less 128), ``int4``, ``int2`` or ``binary`` (``(n, ⌈m·bits/8⌉)`` uint8, levels packed from the
        most significant bit; binary is ``numpy.packbits(y[:m] > centre[:m], axis=1)``), calibrated by the fit.
        """
        x = as_matrix(X, "X", allow_empty=True)
        with self._handle() as pointer:
            if precision is None:
                return transform(pointer, x, dimension, self.threads, self.progress)
            if dimension is None:
                raise ValueError("codes are of a size: give dimension=m with precision")
            return encode(pointer, x, dimension, precision, self.threads, self.progress)

    def fit_transform(self, corpus: Any, queries: Any = None, qrels: Any = None, *, dimension: Optional[int] = None,
                      **fit_arguments: Any) -> np.ndarray:
        """``fit(corpus, queries, qrels)`` then ``transform(corpus, dimension)``."""
        return self.fit(corpus, queries, qrels, **fit_arguments).transform(corpus, dimension=dimension)

    def save(self, path: "os.PathLike[str] | str") -> None:
        """Writes the model file (safetensors, atomically): the same file ``matryoshka fit`` writes, readable by
        every command (``apply``, ``search``, ``serve``) and by ``Adaptor.load``."""
        with self._handle() as pointer:
            simple_call(lib.mtr_model_save, pointer, os.fsencode(path))

    @classmethod
    def load(cls, path: "os.PathLike[str] | str", threads: Optional[int] = None, progress: Progress = True) -> "Adaptor":
        """Reads a model file written by ``matryoshka fit`` or ``save``; a missing or corrupt file raises
        ``MatryoshkaError`` naming it and what was wrong."""
        model = ctypes.c_void_p()
        simple_call(lib.mtr_model_load, os.fsencode(path), ctypes.byref(model))
        adaptor = cls(threads=threads, progress=progress)
        adaptor._adopt(model.value)
        adaptor.method = {"search-adaptor": "search-adaptor", "smec": "smec"}.get(adaptor.method_, "unsupervised")
        return adaptor

    def to_bytes(self) -> bytes:
        """The model file's bytes (what ``save`` writes): how an adaptor travels to other processes and machines."""
        with tempfile.TemporaryDirectory(prefix="matryoshka-") as folder:
            path = os.path.join(folder, "model.safetensors")
            self.save(path)
            with open(path, "rb") as file:
                return file.read()

    @classmethod
    def from_bytes(cls, data: bytes, threads: Optional[int] = None, progress: Progress = True) -> "Adaptor":
        """The adaptor whose model file's bytes are ``data`` (``to_bytes``); corrupt bytes raise ``MatryoshkaError``."""
        with tempfile.TemporaryDirectory(prefix="matryoshka-") as folder:
            path = os.path.join(folder, "model.safetensors")
            with open(path, "wb") as file:
                file.write(data)
            return cls.load(path, threads=threads, progress=progress)

    def __getstate__(self) -> Dict[str, Any]:
        """Pickling (Ray, Spark, multiprocessing): the parameters and the fitted model's file bytes."""
        state = {k: v for k, v in self.__dict__.items() if k != "_model" and not k.endswith("_")}
        state["progress"] = self.progress if isinstance(self.progress, bool) else False
        state["_model_bytes"] = None if self._model is None else self.to_bytes()
        state["_fitted"] = {k: v for k, v in self.__dict__.items() if k.endswith("_") and not k.startswith("_")}
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        data = state.pop("_model_bytes")
        fitted = state.pop("_fitted")
        self.__dict__.update(state)
        self._model = None
        if data is not None:
            loaded = Adaptor.from_bytes(data)
            self._model, loaded._model = loaded._model, None
            self.__dict__.update(fitted)

    def close(self) -> None:
        """Frees the model now (it is freed when the object is collected otherwise); later calls raise ValueError."""
        if self._model is not None:
            self._model.close()


def transform(model: Optional[int], x: np.ndarray, dimension: Optional[int], threads: Optional[int],
              progress: Progress) -> np.ndarray:
    """mtr_transform of `x` by `model` (None: truncation) into a new array."""
    m = _dimension_argument(dimension)
    width = ctypes.c_int64()
    simple_call(lib.mtr_transform_width, model, x.shape[1], m, ctypes.byref(width))
    out = np.empty((x.shape[0], width.value), dtype=np.float32)
    call(lib.mtr_transform, model, float_pointer(x), x.shape[0], x.shape[1], m, float_pointer(out),
         _native.threads_argument(threads), progress=progress if x.shape[0] > 100_000 else False,
         interruptible=x.shape[0] > 10_000)
    return out


@contextlib.contextmanager
def model_pointer(adaptor: Optional[Adaptor]) -> Iterator[Optional[int]]:
    """The library handle of `adaptor` for the duration of a call (None: truncation, no model)."""
    if adaptor is None:
        yield None
        return
    if not isinstance(adaptor, Adaptor):
        raise ValueError(f"adaptor must be a matryoshka.Adaptor or None, got {type(adaptor).__name__}")
    with adaptor._handle() as pointer:
        yield pointer


def encode(model: int, x: np.ndarray, dimension: int, precision: str, threads: Optional[int],
           progress: Progress) -> np.ndarray:
    """mtr_encode of `x` by `model` at `dimension` and `precision` into a new array of the codes' type."""
    m = _dimension_argument(dimension)
    if not isinstance(precision, str):
        raise ValueError(f"precision must be a name such as 'int8' or 'binary', got {precision!r}")
    columns, dtype = ctypes.c_int64(), ctypes.c_void_p()
    simple_call(lib.mtr_code_layout, precision.encode(), m, ctypes.byref(columns), ctypes.byref(dtype))
    out = np.empty((x.shape[0], columns.value), dtype=np.dtype(_native.take_string(dtype)))
    call(lib.mtr_encode, model, float_pointer(x), x.shape[0], x.shape[1], m, precision.encode(),
         out.ctypes.data_as(ctypes.c_void_p), _native.threads_argument(threads),
         progress=progress if x.shape[0] > 100_000 else False, interruptible=x.shape[0] > 10_000)
    return out


def _dimension_argument(dimension: Optional[int]) -> int:
    if dimension is None:
        return 0
    if isinstance(dimension, bool) or not isinstance(dimension, (int, np.integer)) or dimension < 1:
        raise ValueError(f"dimension must be a positive integer (or None for the whole vector), got {dimension!r}")
    return int(dimension)


__all__ = ["Adaptor", "MatryoshkaError"]
