"""The Swift library's C ABI (Sources/MatryoshkaC/matryoshka.h) through ctypes: loading, signatures, arrays, errors,
progress and Ctrl-C. Nothing here is public; the classes in this package are."""

from __future__ import annotations

import ctypes
import json
import os
import threading
from pathlib import Path
from typing import Any, Callable, Optional, Union

import numpy as np

ABI_VERSION = 1

Progress = Union[bool, Callable[[int, int, str], None], None]


class MatryoshkaError(ValueError):
    """An error the library reported (bad input, a missing or corrupt model file, a fit that cannot run): its message
    names what was wrong, as the command line's does."""


_c_float_p = ctypes.POINTER(ctypes.c_float)
_c_int64_p = ctypes.POINTER(ctypes.c_int64)
_error_p = ctypes.POINTER(ctypes.c_void_p)
PROGRESS = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_char_p)

_SIGNATURES = {
    "mtr_abi_version": (ctypes.c_int32, []),
    "mtr_library_version": (ctypes.c_char_p, []),
    "mtr_free": (None, [ctypes.c_void_p]),
    "mtr_available_cores": (ctypes.c_int64, []),
    "mtr_task_new": (ctypes.c_void_p, [PROGRESS, ctypes.c_void_p]),
    "mtr_task_cancel": (None, [ctypes.c_void_p]),
    "mtr_task_free": (None, [ctypes.c_void_p]),
    "mtr_model_load": (ctypes.c_int32, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), _error_p]),
    "mtr_model_save": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_char_p, _error_p]),
    "mtr_model_info": (ctypes.c_int32, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), _error_p]),
    "mtr_model_free": (None, [ctypes.c_void_p]),
    "mtr_transform_width": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, _c_int64_p, _error_p]),
    "mtr_transform": (ctypes.c_int32, [ctypes.c_void_p, _c_float_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                                       _c_float_p, ctypes.c_int64, ctypes.c_void_p, _error_p]),
    "mtr_code_layout": (ctypes.c_int32, [ctypes.c_char_p, ctypes.c_int64, _c_int64_p, ctypes.POINTER(ctypes.c_void_p),
                                         _error_p]),
    "mtr_encode": (ctypes.c_int32, [ctypes.c_void_p, _c_float_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                                    ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, _error_p]),
    "mtr_fit": (ctypes.c_int32, [ctypes.c_char_p, _c_float_p, ctypes.c_int64, ctypes.c_int64, _c_float_p, ctypes.c_int64,
                                 ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p),
                                 ctypes.c_int64, ctypes.c_void_p, _error_p]),
    "mtr_index_new": (ctypes.c_int32, [ctypes.c_void_p, _c_float_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                                       ctypes.c_int64, ctypes.c_int64, ctypes.POINTER(ctypes.c_void_p), ctypes.c_int64,
                                       ctypes.c_void_p, _error_p]),
    "mtr_index_shape": (None, [ctypes.c_void_p, _c_int64_p, _c_int64_p, _c_int64_p]),
    "mtr_index_search": (ctypes.c_int32, [ctypes.c_void_p, _c_float_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                                          _c_int64_p, _c_float_p, ctypes.c_int64, ctypes.c_void_p, _error_p]),
    "mtr_index_free": (None, [ctypes.c_void_p]),
    "mtr_evaluate": (ctypes.c_int32, [ctypes.c_void_p, _c_float_p, ctypes.c_int64, ctypes.c_int64, _c_float_p,
                                      ctypes.c_int64, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p),
                                      ctypes.c_int64, ctypes.c_void_p, _error_p]),
}


def _load() -> ctypes.CDLL:
    path = os.environ.get("MATRYOSHKA_LIBRARY") or str(Path(__file__).with_name("libmatryoshka.so"))
    try:
        library = ctypes.CDLL(path)
    except OSError as error:
        hint = ""
        if "openblas" in str(error).lower():
            hint = " (the library uses the system's OpenBLAS: apt-get install libopenblas0)"
        elif not Path(path).exists():
            hint = " (not built: pip install the package from the repository, or set MATRYOSHKA_LIBRARY)"
        raise ImportError(f"matryoshka: cannot load {path}: {error}{hint}") from error
    for name, (restype, argtypes) in _SIGNATURES.items():
        function = getattr(library, name)
        function.restype = restype
        function.argtypes = argtypes
    version = library.mtr_abi_version()
    if version != ABI_VERSION:
        raise ImportError(f"matryoshka: {path} has ABI {version}, this package needs {ABI_VERSION}: rebuild the package")
    return library


lib = _load()
LIBRARY_VERSION: str = lib.mtr_library_version().decode()


def take_string(pointer: ctypes.c_void_p) -> Optional[str]:
    """The library's string at `pointer`, freed."""
    if not pointer.value:
        return None
    try:
        return ctypes.string_at(pointer.value).decode("utf-8", "replace")
    finally:
        lib.mtr_free(pointer.value)


def threads_argument(threads: Optional[int]) -> int:
    """The ABI's thread count: 0 for every core."""
    if threads is None:
        return 0
    if not isinstance(threads, (int, np.integer)) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"threads must be a positive integer or None (every core), got {threads!r}")
    return int(threads)


def as_matrix(x: Any, name: str, allow_empty: bool = False) -> np.ndarray:
    """`x` as a float32, C-order, 2-D array: passed through when it is one already (no copy), converted once from
    another floating type or memory order, refused with a ValueError otherwise."""
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x)
        except Exception as error:  # ragged lists and the like
            raise ValueError(f"{name}: expected a 2-D float32 array (n, d), got {type(x).__name__}: {error}") from None
    if x.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array (n, d), got shape {x.shape}")
    if x.dtype != np.float32:
        if not np.issubdtype(x.dtype, np.floating):
            raise ValueError(f"{name}: expected floating-point vectors (float32), got dtype {x.dtype}")
        x = x.astype(np.float32)
    if not x.flags.c_contiguous:
        x = np.ascontiguousarray(x)
    if x.shape[1] == 0 or (x.shape[0] == 0 and not allow_empty):
        raise ValueError(f"{name}: expected at least one row and one column, got shape {x.shape}")
    return x


def float_pointer(x: Optional[np.ndarray]):
    return None if x is None else x.ctypes.data_as(_c_float_p)


def _bar() -> Optional[Callable[[int, int, str], None]]:
    """A tqdm bar as a progress callback, when tqdm is installed."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    state: dict = {}

    def report(done: int, total: int, line: str) -> None:
        bar = state.get("bar")
        if total > 0:
            if bar is None or bar.total != total:
                if bar is not None:
                    bar.close()
                bar = state["bar"] = tqdm(total=total, leave=False)
            bar.n = done
            bar.set_description(line.split(" ")[0][:24], refresh=False)
            bar.refresh()
        elif total < 0:  # a transient status line: on the bar, when there is one
            if bar is not None:
                bar.set_postfix_str(line[:60])
        elif line:
            (bar.write if bar is not None else tqdm.write)(line)

    report.close = lambda: state.get("bar") and state["bar"].close()  # type: ignore[attr-defined]
    return report


def call(function: Callable, *arguments, progress: Progress = None, interruptible: bool = True) -> None:
    """Calls the ABI function with `arguments` followed by a task (for progress and cancellation) and an error
    pointer; raises MatryoshkaError with the library's message on status 1 and KeyboardInterrupt when stopped.

    The call runs on a worker thread while this one waits, so Ctrl-C reaches Python: it cancels the task, waits for
    the library to stop at its next check (nothing is written), and raises KeyboardInterrupt. ctypes releases the
    GIL for the call's duration."""
    reporter = _bar() if progress is True else (progress if callable(progress) else None)

    def forward(_context, done, total, line):
        try:
            reporter(int(done), int(total), line.decode("utf-8", "replace") if line else "")
        except Exception:  # a failing progress callback must not unwind through Swift frames
            pass

    callback = PROGRESS(forward) if reporter else PROGRESS()
    task = lib.mtr_task_new(callback, None)
    error = ctypes.c_void_p()
    outcome: dict = {}
    try:
        def run():
            outcome["status"] = function(*arguments, task, ctypes.byref(error))

        if interruptible and threading.current_thread() is threading.main_thread():
            worker = threading.Thread(target=run, name="matryoshka", daemon=True)
            worker.start()
            try:
                while worker.is_alive():
                    worker.join(0.05)
            except KeyboardInterrupt:
                lib.mtr_task_cancel(task)
                worker.join()
                take_string(error)
                raise
        else:
            run()
    finally:
        lib.mtr_task_free(task)
        close = getattr(reporter, "close", None)
        if close:
            close()
    status = outcome.get("status")
    message = take_string(error)
    if status == 2:
        raise KeyboardInterrupt(message)
    if status != 0:
        raise MatryoshkaError(message or f"the library failed with status {status}")


def simple_call(function: Callable, *arguments) -> None:
    """An ABI call without a task (quick ones: load, save, info)."""
    error = ctypes.c_void_p()
    status = function(*arguments, ctypes.byref(error))
    message = take_string(error)
    if status != 0:
        raise MatryoshkaError(message or f"the library failed with status {status}")


class Handle:
    """An opaque library handle, freed once: by `close()` (which waits for calls in flight on other threads), or
    when the object is collected. A call after `close()` raises ValueError."""

    def __init__(self, pointer: int, free: Callable[[int], None], kind: str):
        self._pointer: Optional[int] = pointer
        self._free = free
        self._kind = kind
        self._in_flight = 0
        self._condition = threading.Condition()

    def __enter__(self) -> int:
        with self._condition:
            if self._pointer is None:
                raise ValueError(f"this {self._kind} is closed")
            self._in_flight += 1
            return self._pointer

    def __exit__(self, *_exc) -> None:
        with self._condition:
            self._in_flight -= 1
            self._condition.notify_all()

    @property
    def closed(self) -> bool:
        return self._pointer is None

    def close(self) -> None:
        with self._condition:
            while self._in_flight:
                self._condition.wait()
            pointer, self._pointer = self._pointer, None
        if pointer is not None:
            self._free(pointer)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def judgements_json(qrels: Any, corpus_rows: int, query_rows: int, corpus_ids: Any, query_ids: Any,
                    split: Optional[str] = None) -> bytes:
    """The ABI's judgements: ids for every corpus and query row (default: the row numbers as text) and
    `[query id, document id, grade]` triples from a `{query id: {document id: grade}}` mapping or a sequence of
    triples (ids as text or row numbers)."""
    def ids(given: Any, rows: int, name: str) -> list:
        if given is None:
            return [str(i) for i in range(rows)]
        values = [str(v) for v in given]
        if len(values) != rows:
            raise ValueError(f"{name}: {len(values)} ids for {rows} rows")
        return values

    triples = []
    if isinstance(qrels, dict):
        for query, documents in qrels.items():
            if not isinstance(documents, dict):
                raise ValueError(f"qrels[{query!r}]: expected a mapping of document ids to grades, got {type(documents).__name__}")
            for document, grade in documents.items():
                triples.append((str(query), str(document), grade))
    else:
        for row in qrels:
            if len(row) != 3:
                raise ValueError(f"qrels: expected (query id, document id, grade) triples, got {row!r}")
            triples.append((str(row[0]), str(row[1]), row[2]))
    checked = []
    for query, document, grade in triples:
        if isinstance(grade, bool) or not isinstance(grade, (int, np.integer)):
            raise ValueError(f"qrels: the grade of ({query}, {document}) must be an integer, got {grade!r}")
        checked.append([query, document, int(grade)])
    if not checked:
        raise ValueError("qrels: no judgements")
    body = {"corpus_ids": ids(corpus_ids, corpus_rows, "corpus_ids"), "query_ids": ids(query_ids, query_rows, "query_ids"),
            "qrels": checked}
    if split is not None:
        body["split"] = split
    return json.dumps(body).encode()
