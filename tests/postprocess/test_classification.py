"""softmax and top-k against plain-Python references, plus hand-checked cases."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npukit.errors import InputError
from npukit.postprocess.classification import load_labels, softmax, top_k, top_k_indices


def ref_softmax(xs):
    m = max(xs)
    e = [math.exp(x - m) for x in xs]
    return [v / sum(e) for v in e]


def ref_top_k(xs, k):
    return sorted(range(len(xs)), key=lambda i: (-xs[i], i))[:k]


def test_softmax_by_hand():
    np.testing.assert_allclose(softmax(np.array([0.0, 0.0])), [0.5, 0.5])
    np.testing.assert_allclose(softmax(np.array([math.log(1), math.log(3)])), [0.25, 0.75],
                               rtol=1e-6)
    # huge logits do not overflow
    np.testing.assert_allclose(softmax(np.array([1000.0, 1000.0, -1000.0])), [0.5, 0.5, 0])


def test_top_k_by_hand():
    labels = ["cat", "dog", "bird", "fish"]
    preds = top_k(np.array([0.1, 0.7, 0.15, 0.05]), 2, labels)
    assert [(p.index, p.label) for p in preds] == [(1, "dog"), (2, "bird")]
    assert preds[0].score == pytest.approx(0.7)
    # ties: the lower index first
    assert [p.index for p in top_k(np.array([[1.0, 3.0, 3.0, 0.0]]), 3)] == [1, 2, 0]
    # k larger than C is clipped; logits → probabilities on request
    probs = top_k(np.array([2.0, 0.0]), 5, apply_softmax=True)
    assert len(probs) == 2 and probs[0].score == pytest.approx(1 / (1 + math.exp(-2)))


def test_errors_and_labels_file():
    with pytest.raises(InputError, match="labels"):
        top_k(np.zeros(3), 1, ["a", "b"])
    with pytest.raises(InputError, match="one score vector"):
        top_k(np.zeros((2, 3)), 1)
    assert load_labels("# header\ntench\n\ngoldfish\n") == ["tench", "goldfish"]


floats = st.floats(-50, 50, allow_nan=False, width=32)


@settings(max_examples=100, deadline=None)
@given(st.lists(floats, min_size=1, max_size=20), st.integers(1, 25))
def test_matches_reference(xs, k):
    np.testing.assert_allclose(softmax(np.array(xs)), ref_softmax(xs), rtol=1e-5, atol=1e-7)
    assert top_k_indices(np.array(xs), k).tolist() == ref_top_k(xs, k)
    # rounded copies make ties common
    r = [round(x) for x in xs]
    assert top_k_indices(np.array(r), k).tolist() == ref_top_k(r, k)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(-3, 3), min_size=5, max_size=5), min_size=1, max_size=4))
def test_batched_rows_match_reference(rows):
    got = top_k_indices(np.array(rows), 3)
    assert got.tolist() == [ref_top_k(r, 3) for r in rows]
