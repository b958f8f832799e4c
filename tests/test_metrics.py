import math

import numpy as np
import pytest

from npukit.errors import ShapeError
from npukit.metrics import (
    compare,
    cosine_similarity,
    euclidean_distance,
    max_abs_error,
    relative_l2_error,
    snr_db,
    top1_agreement,
)


def test_hand_checked_values() -> None:
    r = np.array([3.0, 4.0])
    t = np.array([3.0, 3.0])  # noise (0, 1): |noise| = 1, |r| = 5
    assert euclidean_distance(r, t) == pytest.approx(1.0)
    assert max_abs_error(r, t) == pytest.approx(1.0)
    assert relative_l2_error(r, t) == pytest.approx(0.2)
    assert snr_db(r, t) == pytest.approx(10 * math.log10(25.0))
    assert cosine_similarity(r, t) == pytest.approx(21 / (5 * math.sqrt(18)))
    assert cosine_similarity(np.array([1.0, 0.0]), np.array([0.0, 2.0])) == pytest.approx(0.0)
    assert cosine_similarity(np.array([1.0, 2.0]), np.array([-2.0, -4.0])) == pytest.approx(-1.0)
    assert snr_db(np.ones(4), np.ones(4) * 1.1) == pytest.approx(20.0)


def test_identical_and_scaled() -> None:
    x = np.linspace(-1, 1, 50, dtype=np.float32).reshape(5, 10)
    assert cosine_similarity(x, x) == 1.0
    assert snr_db(x, x) == math.inf
    assert relative_l2_error(x, x) == 0.0
    assert cosine_similarity(x, 3 * x) == pytest.approx(1.0)
    assert cosine_similarity(x, 3 * x) <= 1.0


def test_zero_and_constant_conventions() -> None:
    z, c = np.zeros(8), np.full(8, 2.5)
    assert cosine_similarity(z, z) == 1.0
    assert cosine_similarity(z, c) == 0.0 and cosine_similarity(c, z) == 0.0
    assert cosine_similarity(c, c) == 1.0
    assert snr_db(z, z) == math.inf
    assert snr_db(z, c) == -math.inf
    assert snr_db(c, z) == pytest.approx(0.0)  # noise = signal
    assert relative_l2_error(z, z) == 0.0
    assert relative_l2_error(z, c) == math.inf
    assert relative_l2_error(c, z) == pytest.approx(1.0)
    for v in compare(c, c).values():
        assert not math.isnan(v)


def test_empty_tensors() -> None:
    e = np.zeros((0, 3))
    assert compare(e, e) == {"cosine": 1.0, "snr_db": math.inf, "relative_l2": 0.0,
                             "euclidean": 0.0, "max_abs": 0.0}
    assert top1_agreement(e, e) == 1.0


def test_nan_inputs_propagate() -> None:
    r, t = np.array([1.0, np.nan]), np.array([1.0, 2.0])
    for v in compare(r, t).values():
        assert math.isnan(v)
    for v in compare(np.array([1.0, np.inf]), t).values():
        assert math.isnan(v)


def test_no_overflow_on_huge_values() -> None:
    r = np.array([1e200, 1e200])
    t = np.array([1e200, 0.0])
    assert relative_l2_error(r, t) == pytest.approx(1 / math.sqrt(2))
    assert cosine_similarity(r, t) == pytest.approx(1 / math.sqrt(2))
    f16 = np.array([60000.0, 60000.0], np.float16)
    assert snr_db(f16, f16 * np.float16(0.5)) == pytest.approx(20 * math.log10(2))


def test_shape_mismatch() -> None:
    with pytest.raises(ShapeError):
        cosine_similarity(np.zeros(3), np.zeros(4))
    with pytest.raises(ShapeError):
        top1_agreement(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ShapeError):
        top1_agreement(np.float32(1), np.float32(1))


def test_top1_agreement() -> None:
    ref = np.array([[0.1, 0.9, 0.0], [0.5, 0.2, 0.3], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    test = np.array([[0.2, 0.7, 0.1], [0.1, 0.6, 0.3], [0.0, 0.1, 0.9], [1.0, 1.0, 0.0]])
    assert top1_agreement(ref, test) == 0.75
    assert top1_agreement(ref.T, test.T, axis=0) == 0.75
    assert top1_agreement(np.array([1.0, 2.0]), np.array([0.0, 5.0])) == 1.0
    nan_row = test.copy()
    nan_row[0, 0] = np.nan
    assert top1_agreement(ref, nan_row) == 0.5
