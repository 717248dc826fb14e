"""Bad input from Python is an exception with a message, never a crash of the interpreter."""

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import matryoshka as mk


@pytest.fixture(scope="module")
def adaptor():
    corpus = np.random.default_rng(3).standard_normal((400, 24)).astype(np.float32)
    return mk.Adaptor(iterations=20, validation_interval=10, progress=False).fit(corpus)


def test_wrong_dtype_and_rank_are_value_errors(adaptor, small):
    with pytest.raises(ValueError, match="dtype int64"):
        adaptor.transform(small.astype(np.int64), dimension=8)
    with pytest.raises(ValueError, match=r"2-D array \(n, d\), got shape \(24,\)"):
        adaptor.transform(small[0], dimension=8)
    with pytest.raises(ValueError, match="got shape"):
        adaptor.transform(small[None], dimension=8)
    with pytest.raises(ValueError, match="dtype <U"):
        mk.Index(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="2-D float32 array"):
        adaptor.transform([[1.0, 2.0], [3.0]], dimension=8)


def test_fortran_order_and_float64_are_converted_once_to_the_same_result(adaptor, small):
    expected = adaptor.transform(small, dimension=8)
    np.testing.assert_array_equal(adaptor.transform(np.asfortranarray(small), dimension=8), expected)
    np.testing.assert_array_equal(adaptor.transform(small.astype(np.float64), dimension=8), expected)
    np.testing.assert_array_equal(adaptor.transform(small[:, :][::1], dimension=8), expected)


def test_non_finite_and_zero_rows_name_the_row(adaptor, small):
    bad = small.copy()
    bad[17, 3] = np.nan
    with pytest.raises(mk.MatryoshkaError, match=r"row 17.*column 3"):
        adaptor.transform(bad, dimension=8)
    bad[17] = np.inf
    with pytest.raises(mk.MatryoshkaError, match="row 17"):
        mk.Index(bad, adaptor, dimension=8, progress=False)
    zero = small.copy()
    zero[5] = 0
    with pytest.raises(mk.MatryoshkaError, match="row 5"):
        adaptor.fit(zero)
    index = mk.Index(small, dimension=8, progress=False)
    with pytest.raises(mk.MatryoshkaError, match="row 1"):
        index.search(np.stack([small[0], np.full(24, np.nan, np.float32)]), k=3)


def test_wrong_width_dimension_and_k_are_refused(adaptor, small):
    with pytest.raises(mk.MatryoshkaError, match="24"):
        adaptor.transform(small[:, :20], dimension=8)
    with pytest.raises(mk.MatryoshkaError, match="between 1 and the output dimension 24"):
        adaptor.transform(small, dimension=25)
    with pytest.raises(ValueError, match="positive integer"):
        adaptor.transform(small, dimension=0)
    index = mk.Index(small, adaptor, dimension=8, progress=False)
    with pytest.raises(ValueError, match="between 1 and the corpus size 200, got 201"):
        index.search(small[:2], k=201)
    with pytest.raises(ValueError, match="20-d rows"):
        index.search(small[:2, :20], k=3)
    with pytest.raises(mk.MatryoshkaError, match="shortlist_dimension must be between 1 and dimension"):
        mk.Index(small, adaptor, dimension=8, shortlist_dimension=9, progress=False)


def test_missing_and_corrupt_model_files_name_the_file(tmp_path):
    with pytest.raises(mk.MatryoshkaError, match="nowhere.safetensors"):
        mk.Adaptor.load(tmp_path / "nowhere.safetensors")
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}      ")
    with pytest.raises(mk.MatryoshkaError, match="corrupt.safetensors"):
        mk.Adaptor.load(corrupt)
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(b"\x01\x02")
    with pytest.raises(mk.MatryoshkaError, match="truncated.safetensors"):
        mk.Adaptor.load(truncated)


def test_unknown_options_and_unusable_fits_are_errors(small):
    with pytest.raises(mk.MatryoshkaError, match="learning-rat: is not a fit option"):
        mk.Adaptor(learning_rat=0.1, progress=False).fit(small)
    with pytest.raises(mk.MatryoshkaError, match="activation: expects one of relu"):
        mk.Adaptor(activation="sigmoid", progress=False).fit(small)
    with pytest.raises(ValueError, match="method must be one of"):
        mk.Adaptor("pca").fit(small)
    with pytest.raises(mk.MatryoshkaError, match="judged queries"):
        mk.Adaptor("supervised", progress=False).fit(small)
    with pytest.raises(ValueError, match="not fitted"):
        mk.Adaptor().transform(small)


def test_closed_handles_refuse_a_second_call(adaptor, small, tmp_path):
    path = tmp_path / "a.safetensors"
    adaptor.save(path)
    loaded = mk.Adaptor.load(path)
    loaded.close()
    with pytest.raises(ValueError, match="closed"):
        loaded.transform(small, dimension=8)
    loaded.close()  # twice is harmless
    index = mk.Index(small, progress=False)
    index.close()
    with pytest.raises(ValueError, match="closed"):
        index.search(small[:1], k=1)


def test_calls_from_several_threads_at_once_agree(adaptor, small):
    index = mk.Index(small, adaptor, dimension=16, threads=1, progress=False)
    expected_rows = adaptor.transform(small, dimension=16)
    expected_ids, _ = index.search(small, k=5)
    failures = []

    def work():
        try:
            for _ in range(20):
                np.testing.assert_array_equal(adaptor.transform(small, dimension=16), expected_rows)
                np.testing.assert_array_equal(index.search(small, k=5)[0], expected_ids)
        except Exception as error:  # reported below
            failures.append(error)

    workers = [threading.Thread(target=work) for _ in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not failures


def test_progress_reaches_a_callback(small):
    seen = []
    mk.Adaptor(iterations=30, validation_interval=10, progress=lambda *report: seen.append(report)).fit(small)
    assert any(total == 30 for _, total, _ in seen)
    assert any("neighbour" in line or "mining" in line or "centr" in line for _, _, line in seen)


def test_ctrl_c_stops_a_fit_with_keyboard_interrupt_and_writes_nothing(tmp_path):
    script = textwrap.dedent(f"""
        import sys, numpy as np, matryoshka as mk
        corpus = np.random.default_rng(0).standard_normal((3000, 64)).astype(np.float32)
        adaptor = mk.Adaptor(iterations=1_000_000, patience=1_000_000, progress=lambda *a: print("progress", flush=True) if a[1] else None)
        try:
            adaptor.fit(corpus)
        except KeyboardInterrupt:
            print("interrupted", adaptor._model is None, flush=True)
            sys.exit(0)
        print("finished", flush=True)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                               cwd=Path(mk.__file__).parents[1])
    try:
        for line in process.stdout:
            if line.startswith("progress"):
                process.send_signal(2)  # SIGINT, as Ctrl-C sends it
                break
        rest = process.stdout.read()
        assert process.wait(timeout=60) == 0
        assert "interrupted True" in rest
    finally:
        process.kill()


finite = st.floats(-1e3, 1e3, allow_nan=False, width=32)
anything = st.floats(width=32)


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(0, 6), columns=st.integers(1, 40), dimension=st.one_of(st.none(), st.integers(-2, 45)),
       values=anything, data=st.data())
def test_transform_never_crashes(adaptor, rows, columns, dimension, values, data):
    x = data.draw(hnp.arrays(np.float32, (rows, columns), elements=st.one_of(finite, anything)))
    try:
        y = adaptor.transform(x, dimension=dimension)
    except ValueError:
        return  # MatryoshkaError is a ValueError
    assert columns == 24 and y.shape[0] == rows and np.isfinite(y).all()


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(0, 5), columns=st.integers(1, 30), k=st.integers(-1, 210),
       shortlist=st.one_of(st.none(), st.integers(1, 10)), data=st.data())
def test_search_never_crashes(rows, columns, k, shortlist, data):
    small = np.random.default_rng(7).standard_normal((200, 24)).astype(np.float32)
    size = None if shortlist is None else data.draw(st.integers(1, 300))
    index = mk.Index(small, dimension=10, shortlist_dimension=shortlist, shortlist_size=size, progress=False)
    q = data.draw(hnp.arrays(np.float32, (rows, columns), elements=st.one_of(finite, anything)))
    try:
        ids, scores = index.search(q, k=k)
    except ValueError:
        return
    assert ids.shape == (rows, k) and ((ids >= 0) & (ids < 200)).all()
