from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npukit.errors import NpukitError
from npukit.numerics.rounding import (
    RoundingMode,
    round_div_ref,
    round_float,
    rounding_rshift,
    rounding_rshift_fast,
)

from ._hyp import EXACT

R = RoundingMode
MODES = list(RoundingMode)

# value: (half_away, half_even, half_up, truncate, floor) — hand-computed
TABLE = {
    2.5: (3, 2, 3, 2, 2),
    -2.5: (-3, -2, -2, -2, -3),
    1.5: (2, 2, 2, 1, 1),
    -1.5: (-2, -2, -1, -1, -2),
    0.5: (1, 0, 1, 0, 0),
    -0.5: (-1, 0, 0, 0, -1),
    2.4: (2, 2, 2, 2, 2),
    -2.6: (-3, -3, -3, -2, -3),
    2.7: (3, 3, 3, 2, 2),
    -2.7: (-3, -3, -3, -2, -3),
    0.49999999999999994: (0, 0, 0, 0, 0),  # floor(x + 0.5) gets this one wrong
    -0.49999999999999994: (0, 0, 0, 0, -1),
    0.0: (0, 0, 0, 0, 0),
}
ORDER = [R.HALF_AWAY_FROM_ZERO, R.HALF_TO_EVEN, R.HALF_UP, R.TRUNCATE, R.FLOOR]


@pytest.mark.parametrize("value", list(TABLE))
@pytest.mark.parametrize("k", range(5))
def test_round_float_hand_table(value: float, k: int) -> None:
    assert round_float(np.float64(value), ORDER[k]) == TABLE[value][k]
    if value != 0.49999999999999994 and value != -0.49999999999999994:
        assert round_float(np.float32(value), ORDER[k]) == TABLE[value][k]
        assert round_float(np.float32(value), ORDER[k]).dtype == np.float32


def test_round_float_keeps_shape_and_dtype() -> None:
    x = np.array([[0.5, 1.5], [-2.5, 3.5]], np.float32)
    y = round_float(x, R.HALF_TO_EVEN)
    assert y.dtype == np.float32 and y.shape == (2, 2)
    assert y.tolist() == [[0.0, 2.0], [-2.0, 4.0]]


@EXACT
@given(st.floats(min_value=-2.0**52, max_value=2.0**52, allow_nan=False),
       st.sampled_from(MODES))
def test_round_float_equals_exact_rational(x: float, mode: RoundingMode) -> None:
    f = Fraction(x)
    assert round_float(np.float64(x), mode) == round_div_ref(f.numerator, f.denominator, mode)


@EXACT
@given(st.integers(-(2**30), 2**30), st.sampled_from(MODES))
def test_round_float_exact_halves(n: int, mode: RoundingMode) -> None:
    """Every n/2 is a float; odd n are ties."""
    assert round_float(np.float64(n / 2), mode) == round_div_ref(n, 2, mode)


@EXACT
@given(st.integers(-(2**63), 2**63 - 1), st.integers(0, 62), st.sampled_from(MODES))
def test_rounding_rshift_equals_reference(acc: int, shift: int, mode: RoundingMode) -> None:
    got = rounding_rshift(np.int64(acc), shift, mode)
    assert got.dtype == np.int64
    assert int(got) == round_div_ref(acc, 2**shift, mode)


@EXACT
@given(st.lists(st.integers(-(2**62) + 1, 2**62 - 1), min_size=1, max_size=20),
       st.integers(1, 62), st.sampled_from(MODES))
def test_rounding_rshift_fast_equals_reference(accs: list[int], shift: int,
                                               mode: RoundingMode) -> None:
    x = np.array(accs, np.int64)
    assert rounding_rshift_fast(x, shift, mode).tolist() == [
        round_div_ref(a, 2**shift, mode) for a in accs]


@EXACT
@given(st.integers(1, 61), st.integers(-(2**20), 2**20), st.sampled_from(MODES))
def test_rounding_rshift_fast_ties(shift: int, j: int, mode: RoundingMode) -> None:
    acc = (2 * j + 1) << (shift - 1)
    if not -(2**62) < acc < 2**62:
        return
    x = np.array([acc, -acc, acc + 1, acc - 1], np.int64)
    assert rounding_rshift_fast(x, np.array([shift] * 4), mode).tolist() == [
        round_div_ref(int(v), 2**shift, mode) for v in x]


@EXACT
@given(st.integers(1, 62), st.integers(-(2**20), 2**20), st.sampled_from(MODES))
def test_rounding_rshift_ties(shift: int, j: int, mode: RoundingMode) -> None:
    """(2j+1) * 2**(shift-1) is exactly half-way between two results."""
    acc = (2 * j + 1) << (shift - 1)
    if not -(2**63) <= acc < 2**63:
        return
    assert int(rounding_rshift(np.int64(acc), shift, mode)) == round_div_ref(acc, 2**shift, mode)


@EXACT
@given(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=40),
       st.lists(st.integers(-31, 31), min_size=1, max_size=40), st.sampled_from(MODES))
def test_rounding_rshift_per_channel(accs: list[int], shifts: list[int],
                                     mode: RoundingMode) -> None:
    n = min(len(accs), len(shifts))
    a = np.array(accs[:n], np.int32).reshape(1, n).repeat(3, axis=0)
    s = np.array(shifts[:n])
    got = rounding_rshift(a, s, mode)
    for i in range(n):
        want = round_div_ref(accs[i], 2 ** s[i], mode) if s[i] >= 0 else accs[i] << -s[i]
        assert (got[:, i] == want).all()


def test_rounding_rshift_hand_cases() -> None:
    acc = np.array([5, -5, 6, -6, 7, -7, 3, -3], np.int32)
    assert rounding_rshift(acc, 1, R.HALF_AWAY_FROM_ZERO).tolist() == [3, -3, 3, -3, 4, -4, 2, -2]
    assert rounding_rshift(acc, 1, R.HALF_TO_EVEN).tolist() == [2, -2, 3, -3, 4, -4, 2, -2]
    assert rounding_rshift(acc, 1, R.HALF_UP).tolist() == [3, -2, 3, -3, 4, -3, 2, -1]
    assert rounding_rshift(acc, 1, R.TRUNCATE).tolist() == [2, -2, 3, -3, 3, -3, 1, -1]
    assert rounding_rshift(acc, 1, R.FLOOR).tolist() == [2, -3, 3, -3, 3, -4, 1, -2]
    assert rounding_rshift(acc, 0, R.HALF_UP).tolist() == acc.tolist()
    assert rounding_rshift(acc, -2, R.HALF_UP).tolist() == (acc.astype(np.int64) * 4).tolist()


def test_rounding_rshift_limits() -> None:
    with pytest.raises(ValueError):
        rounding_rshift(np.int64(1), 63, R.FLOOR)
    with pytest.raises(OverflowError):
        rounding_rshift(np.int64(2**40), -30, R.FLOOR)
    with pytest.raises(TypeError):
        rounding_rshift(np.float32(1.0), 1, R.FLOOR)
    assert int(rounding_rshift(np.int64(-(2**63)), 62, R.HALF_TO_EVEN)) == -2


def test_mode_names_and_aliases() -> None:
    assert R.parse("half_to_even") is R.HALF_TO_EVEN
    assert R.parse("HALF_AWAY_FROM_ZERO") is R.HALF_AWAY_FROM_ZERO
    assert R.parse("rne") is R.HALF_TO_EVEN
    assert R.parse("half-up") is R.HALF_UP
    assert R.parse(R.FLOOR) is R.FLOOR
    assert R("truncate") is R.TRUNCATE
    with pytest.raises(NpukitError, match="half_to_even"):
        R.parse("stochastic")


def test_round_div_ref_rejects_bad_divisor() -> None:
    with pytest.raises(ValueError):
        round_div_ref(1, 0, R.FLOOR)
