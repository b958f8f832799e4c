import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npukit.numerics.pool import rounding_divide, rounding_divide_ref
from npukit.numerics.rounding import RoundingMode

from ._hyp import EXACT

R = RoundingMode
MODES = list(RoundingMode)


def test_hand_cases() -> None:
    acc = np.array([6, -6, 2, -2, 7, -7, 8], np.int32)  # / 4: 1.5 -1.5 .5 -.5 1.75 -1.75 2
    assert rounding_divide(acc, 4, R.HALF_AWAY_FROM_ZERO).tolist() == [2, -2, 1, -1, 2, -2, 2]
    assert rounding_divide(acc, 4, R.HALF_TO_EVEN).tolist() == [2, -2, 0, 0, 2, -2, 2]
    assert rounding_divide(acc, 4, R.HALF_UP).tolist() == [2, -1, 1, 0, 2, -2, 2]
    assert rounding_divide(acc, 4, R.TRUNCATE).tolist() == [1, -1, 0, 0, 1, -1, 2]
    assert rounding_divide(acc, 4, R.FLOOR).tolist() == [1, -2, 0, -1, 1, -2, 2]
    # 3x3 pool, odd count: no ties; 13/9 = 1.44, 14/9 = 1.56
    assert rounding_divide(np.array([13, 14, -13, -14]), 9, R.HALF_UP).tolist() == [1, 2, -1, -2]


def test_tflite_average_pool_is_half_away() -> None:
    """TFLite int8 AveragePool: (acc +- count/2) / count with C truncation."""
    for count in (1, 2, 4, 6, 9):
        for acc in range(-40, 41):
            c_div = int((acc + count // 2) / count) if acc > 0 else int((acc - count // 2) / count)
            assert rounding_divide(np.int32(acc), count, R.HALF_AWAY_FROM_ZERO) == c_div


def test_per_position_divisor() -> None:
    acc = np.array([[10, 10, 10], [5, 5, 5]], np.int32)
    count = np.array([4, 6, 9])  # padded border windows hold fewer elements
    got = rounding_divide(acc, count, R.HALF_TO_EVEN)
    assert got.tolist() == [[2, 2, 1], [1, 1, 1]]  # 2.5->2, 1.67->2, 1.11->1; 1.25, .83, .56


def test_errors() -> None:
    with pytest.raises(ValueError):
        rounding_divide(np.int32(1), 0, R.FLOOR)
    with pytest.raises(TypeError):
        rounding_divide(np.float32(1), 2, R.FLOOR)
    with pytest.raises(TypeError):
        rounding_divide(np.int32(1), 2.0, R.FLOOR)


@EXACT
@given(st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=20),
       st.integers(1, 2**20), st.sampled_from(MODES))
def test_equals_reference(accs: list[int], divisor: int, mode: RoundingMode) -> None:
    a = np.array(accs, np.int64)
    assert (rounding_divide(a, divisor, mode) == rounding_divide_ref(a, divisor, mode)).all()


@EXACT
@given(st.integers(1, 2**15), st.integers(-(2**20), 2**20), st.sampled_from(MODES))
def test_ties(half: int, j: int, mode: RoundingMode) -> None:
    divisor = 2 * half
    acc = np.array([(2 * j + 1) * half], np.int64)  # (j + 1/2) * divisor
    assert (rounding_divide(acc, divisor, mode) == rounding_divide_ref(acc, divisor, mode)).all()
