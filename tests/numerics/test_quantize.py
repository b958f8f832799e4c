from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npukit.errors import NpukitError, ShapeError
from npukit.numerics.quantize import choose_qparams, dequantize, quantize
from npukit.numerics.rounding import RoundingMode, round_div_ref
from npukit.numerics.saturate import qrange

from ._hyp import EXACT

R = RoundingMode
MODES = list(RoundingMode)


def test_quantize_ties_follow_the_mode() -> None:
    x = np.array([0.05, 0.15, -0.05, -0.15, 0.25], np.float64)
    s = 0.1  # x / s = 0.5, 1.5, -0.5, -1.5, 2.5 (within float64 rounding of the quotient)
    q = np.array([5, 15, -5, -15, 25]) / 10  # exact quotients to avoid float noise
    assert quantize(q, 1.0, 0, "int8", R.HALF_TO_EVEN).tolist() == [0, 2, 0, -2, 2]
    assert quantize(q, 1.0, 0, "int8", R.HALF_AWAY_FROM_ZERO).tolist() == [1, 2, -1, -2, 3]
    assert quantize(q, 1.0, 0, "int8", R.HALF_UP).tolist() == [1, 2, 0, -1, 3]
    assert quantize(q * 0.5, 0.5, 3, "int8", R.HALF_UP).tolist() == [4, 5, 3, 2, 6]
    assert quantize(x, s, 0, "int8", R.TRUNCATE).dtype == np.int8


def test_quantize_saturates_and_handles_non_finite() -> None:
    x = np.array([1e6, -1e6, np.inf, -np.inf, np.nan, 1e300])
    assert quantize(x, 0.1, 10, "int8", R.HALF_TO_EVEN).tolist() == [127, -128, 127, -128, 10, 127]
    assert quantize(x, 0.1, 128, "uint8", R.HALF_TO_EVEN).tolist() == [255, 0, 255, 0, 128, 255]
    assert quantize(np.array([-100.0]), 1.0, 128, "uint8", R.FLOOR).tolist() == [28]
    assert quantize(np.array([3.0, -9.0]), 1.0, 0, "int4", R.FLOOR).tolist() == [3, -8]


def test_quantize_per_channel() -> None:
    w = np.array([[1.0, -1.0, 0.5], [4.0, -4.0, 2.0]])
    q = quantize(w, np.array([1 / 127, 4 / 127]), 0, "int8", R.HALF_TO_EVEN, axis=0)
    assert q.tolist() == [[127, -127, 64], [127, -127, 64]]  # 63.5 -> 64 (even)
    q = quantize(w.T, np.array([1 / 127, 4 / 127]), np.array([0, 1]), "int8",
                 R.HALF_TO_EVEN, axis=1)
    assert q.tolist() == [[127, 127], [-127, -126], [64, 65]]
    with pytest.raises(ShapeError):
        quantize(w, np.ones((2, 1)), 0, "int8", R.FLOOR, axis=0)


def test_quantize_float32_divides_in_float32() -> None:
    """float32 / float32 as ONNX QuantizeLinear: the float32 quotient is rounded."""
    x, s = np.float32(0.3), np.float32(0.2)
    q32 = np.float32(x / s)  # 1.4999999 or 1.5: whatever float32 gives, we follow it
    want = round_div_ref(*Fraction(float(q32)).as_integer_ratio(), R.HALF_AWAY_FROM_ZERO)
    assert int(quantize(np.array([x]), s, 0, "int8", R.HALF_AWAY_FROM_ZERO)[0]) == want


@EXACT
@given(st.floats(-1e4, 1e4), st.floats(1e-3, 10.0), st.integers(-128, 127),
       st.sampled_from(MODES))
def test_quantize_equals_exact_definition(x: float, scale: float, zp: int,
                                          mode: RoundingMode) -> None:
    quotient = Fraction(x / scale)  # the float64 quotient, rounded once by IEEE
    want = round_div_ref(quotient.numerator, quotient.denominator, mode) + zp
    got = quantize(np.array([x]), np.float64(scale), zp, "int8", mode)
    assert int(got[0]) == min(max(want, -128), 127)


@EXACT
@given(st.floats(-100, 100), st.floats(1e-3, 1.0), st.integers(-128, 127))
def test_round_trip_error_is_at_most_half_a_step(x: float, scale: float, zp: int) -> None:
    lo, hi = qrange("int8")
    q = quantize(np.array([x]), np.float64(scale), zp, "int8", R.HALF_TO_EVEN)
    back = dequantize(q, np.float64(scale), zp, out_dtype=np.float64)
    if scale * (lo - zp) <= x <= scale * (hi - zp):
        assert abs(back[0] - x) <= scale / 2 * (1 + 1e-9)


def test_dequantize() -> None:
    q = np.array([-128, 0, 127], np.int8)
    assert dequantize(q, 0.5, -128).tolist() == [0.0, 64.0, 127.5]
    assert dequantize(q, 0.5, -128).dtype == np.float32
    q2 = np.array([[1, 2], [3, 4]], np.uint8)
    got = dequantize(q2, np.array([1.0, 2.0]), np.array([1, 2]), axis=1)
    assert got.tolist() == [[0.0, 0.0], [2.0, 4.0]]
    with pytest.raises(TypeError):
        dequantize(np.array([1.0]), 1.0, 0)


def test_choose_qparams_asymmetric() -> None:
    s, zp = choose_qparams(-1.0, 3.0, "int8", symmetric=False)
    assert s == np.float32(4.0 / 255)
    assert int(zp) == -128 + round(1.0 / float(s))  # -1.0 lands on a code: -64
    s, zp = choose_qparams(0.5, 2.0, "uint8", symmetric=False)  # widened to [0, 2]
    assert int(zp) == 0 and s == np.float32(2.0 / 255)
    s, zp = choose_qparams(-2.0, -0.5, "uint8", symmetric=False)  # widened to [-2, 0]
    assert int(zp) == 255


def test_choose_qparams_symmetric() -> None:
    s, zp = choose_qparams(-0.5, 1.27, "int8", symmetric=True, narrow=True)
    assert s == np.float32(0.01) and int(zp) == 0
    s, zp = choose_qparams(-2.0, 1.0, "uint8", symmetric=True)
    assert int(zp) == 128 and s == np.float32(2.0 / 127)
    s, zp = choose_qparams(-7.0, 7.0, "int4", symmetric=True, narrow=True)
    assert s == np.float32(1.0) and int(zp) == 0


def test_choose_qparams_zero_and_per_channel() -> None:
    s, zp = choose_qparams(0.0, 0.0, "int8", symmetric=True)
    assert float(s) == 1.0 and int(zp) == 0
    s, zp = choose_qparams(0.0, 0.0, "int8", symmetric=False)  # as any [0, max] range
    assert float(s) == 1.0 and int(zp) == -128
    s, zp = choose_qparams(np.array([-1.0, 0.0, -4.0]), np.array([1.0, 0.0, 2.0]), "int8",
                           symmetric=True, narrow=True)
    assert s.dtype == np.float32 and zp.dtype == np.int32 and s.shape == (3,)
    assert s.tolist() == pytest.approx([1 / 127, 1.0, 4 / 127])
    s, _ = choose_qparams(-1e-45, 1e-45, "int8", symmetric=True)
    assert float(s) >= np.finfo(np.float32).tiny


def test_choose_qparams_rejects_bad_ranges() -> None:
    with pytest.raises(NpukitError, match="finite"):
        choose_qparams(np.nan, 1.0, "int8", symmetric=False)
    with pytest.raises(NpukitError, match="min > max"):
        choose_qparams(2.0, 1.0, "int8", symmetric=False)


@EXACT
@given(st.floats(-1e3, 0), st.floats(0, 1e3), st.sampled_from(["int8", "uint8", "int16"]),
       st.booleans())
def test_choose_qparams_represents_zero_and_the_range(lo: float, hi: float, dtype: str,
                                                      symmetric: bool) -> None:
    s, zp = choose_qparams(lo, hi, dtype, symmetric=symmetric)
    qmin, qmax = qrange(dtype)
    assert qmin <= int(zp) <= qmax
    assert quantize(np.array([0.0]), s, zp, dtype, R.HALF_TO_EVEN)[0] == zp
    step = float(s)
    for v in (lo, hi):
        q = quantize(np.array([v]), s, zp, dtype, R.HALF_TO_EVEN)
        assert abs(float(dequantize(q, s, zp, out_dtype=np.float64)[0]) - v) <= step * 0.5001
