import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npukit.errors import NpukitError
from npukit.numerics.fixedpoint import (
    multiplier_to_float,
    quantize_multiplier,
    requantize,
    requantize_ref,
)
from npukit.numerics.rounding import RoundingMode, round_div_ref

from ._hyp import EXACT, FEW

R = RoundingMode
MODES = list(RoundingMode)
OUT_DTYPES = ["int8", "uint8", "int16", "uint16", "int32", "int4"]


# ---- quantize_multiplier ---------------------------------------------------------------

def test_quantize_multiplier_hand_cases() -> None:
    m, s = quantize_multiplier(np.array([0.5, 0.25, 1.0, 0.75, 3.0, 0.0]))
    assert m.dtype == np.int32 and s.dtype == np.int32
    assert m.tolist() == [2**30, 2**30, 2**30, 3 * 2**29, 3 * 2**29, 0]
    assert s.tolist() == [0, -1, 1, 0, 2, 0]


def test_quantize_multiplier_rounds_up_to_two_to_the_31() -> None:
    """q * 2**31 rounding to 2**31 must become (2**30, shift + 1) — TFLite's edge case."""
    real = (2**31 - 0.25) / 2**31  # frexp fraction just below 1
    m, s = quantize_multiplier(real)
    assert (int(m), int(s)) == (2**30, 1)
    m, s = quantize_multiplier((2**31 - 1) / 2**31)  # stays representable
    assert (int(m), int(s)) == (2**31 - 1, 0)


def test_quantize_multiplier_ties_away_from_zero() -> None:
    m, s = quantize_multiplier((2**30 + 0.5) / 2**31)  # q * 2**31 = 2**30 + 0.5 exactly
    assert (int(m), int(s)) == (2**30 + 1, 0)


def test_quantize_multiplier_range() -> None:
    m, s = quantize_multiplier(np.array([2.0**-32, 2.0**-33, 1e-300, 2.0**29]))
    assert m.tolist() == [2**30, 0, 0, 2**30]
    assert s.tolist() == [-31, 0, 0, 30]
    with pytest.raises(NpukitError, match="too large"):
        quantize_multiplier(2.0**30)
    with pytest.raises(NpukitError):
        quantize_multiplier(-0.5)
    with pytest.raises(NpukitError):
        quantize_multiplier(np.array([0.5, np.nan]))


@EXACT
@given(st.floats(2.0**-32, 2.0**29))
def test_quantize_multiplier_is_accurate(real: float) -> None:
    m, s = quantize_multiplier(real)
    assert 2**30 <= int(m) < 2**31
    assert abs(float(multiplier_to_float(m, s)) - real) <= real * 2.0**-31


def test_quantize_multiplier_q15() -> None:
    """15 significant bits, returned in Q31 form: requantize is unchanged."""
    m, s = quantize_multiplier(np.array([0.75, 1 / 3, (2**15 - 0.25) / 2**15]), bits=15)
    assert m.tolist() == [3 * 2**29, round(2**16 / 3) << 16, 2**30]
    assert s.tolist() == [0, -1, 1]
    acc = np.arange(-3000, 3000, 7, dtype=np.int32)
    m15 = int(m[1]) >> 16
    for mode in MODES:
        got = requantize(acc, m[1], s[1], 0, "int16", mode)
        # the Q15 hardware formula: acc * m15 / 2**(15 - shift), one rounding
        want = [round_div_ref(int(a) * m15, 2 ** (15 - int(s[1])), mode) for a in acc]
        assert got.tolist() == want
    with pytest.raises(ValueError):
        quantize_multiplier(0.5, bits=32)


def test_quantize_multiplier_vectorised_equals_scalar() -> None:
    reals = np.geomspace(1e-9, 1e4, 97)
    m, s = quantize_multiplier(reals)
    for i, r in enumerate(reals):
        assert (m[i], s[i]) == tuple(int(v) for v in quantize_multiplier(r))


# ---- requantize: hand-computed ties --------------------------------------------------------

def test_requantize_ties_hand_computed() -> None:
    """multiplier 2**30, shift 0 is x/2: odd accumulators are exact ties."""
    acc = np.array([5, -5, 3, -3, 4, -7], np.int32)
    want = {
        R.HALF_AWAY_FROM_ZERO: [3, -3, 2, -2, 2, -4],
        R.HALF_TO_EVEN: [2, -2, 2, -2, 2, -4],
        R.HALF_UP: [3, -2, 2, -1, 2, -3],
        R.TRUNCATE: [2, -2, 1, -1, 2, -3],
        R.FLOOR: [2, -3, 1, -2, 2, -4],
    }
    for mode, values in want.items():
        assert requantize(acc, 2**30, 0, 0, "int8", mode).tolist() == values, mode
        assert requantize_ref(acc, 2**30, 0, 0, "int8", mode).tolist() == values, mode


def test_requantize_zero_point_and_clamp() -> None:
    acc = np.array([-1000, -10, 0, 10, 1000], np.int32)
    # multiplier 0.75 * 2**-3 = 0.09375; zp -5; ReLU bounds [zp, 127]
    m, s = quantize_multiplier(0.09375)
    got = requantize(acc, m, s, -5, "int8", R.HALF_TO_EVEN, clamp_min=-5)
    # -93.75 -> -94 -> -99 -> clamp -5; -0.9375 -> -1 -> -6 -> -5; 0 -> -5; 0.9375 -> 1 -> -4
    assert got.tolist() == [-5, -5, -5, -4, 89]
    assert got.dtype == np.int8


def test_requantize_per_channel_axis() -> None:
    acc = np.arange(-12, 12, dtype=np.int32).reshape(2, 3, 4)
    m, s = quantize_multiplier(np.array([0.5, 0.25, 2.0]))
    for mode in MODES:
        got = requantize(acc, m, s, np.array([0, 1, -1]), "int8", mode, axis=1)
        ref = requantize_ref(acc, m, s, np.array([0, 1, -1]), "int8", mode, axis=1)
        assert (got == ref).all()
        for c, real in enumerate([0.5, 0.25, 2.0]):
            col = [round_div_ref(int(a) * int(real * 4), 4, mode) + [0, 1, -1][c]
                   for a in acc[:, c, :].ravel()]
            assert got[:, c, :].ravel().tolist() == col


def test_requantize_scalars_and_empty() -> None:
    for fn in (requantize, requantize_ref):
        assert int(fn(5, 2**30, 0, 0, "int8", R.HALF_UP)) == 3
        assert int(fn(np.int32(-5), 2**30, 0, 1, "int8", R.HALF_UP)) == -1
        assert fn(np.zeros((0, 3), np.int32), [2**30] * 3, [0] * 3, 0, "int8", R.HALF_UP,
                  axis=1).shape == (0, 3)
    assert int(requantize(np.int64(2**33), 2**30, -1, 0, "int32", R.HALF_UP)) == 2**31 - 1


def test_requantize_checks_its_inputs() -> None:
    with pytest.raises(ValueError):
        requantize(np.int32(1), 2**31, 0, 0, "int8", R.FLOOR)
    with pytest.raises(ValueError):
        requantize(np.int32(1), 2**30, 31, 0, "int8", R.FLOOR)
    with pytest.raises(OverflowError):
        requantize(np.int64(2**47), 2**30, 0, 0, "int8", R.FLOOR)
    with pytest.raises(OverflowError):
        requantize(np.array([-(2**63)], np.int64), 2**30, 0, 0, "int8", R.FLOOR)
    with pytest.raises(TypeError):
        requantize(np.float32(1), 2**30, 0, 0, "int8", R.FLOOR)


# ---- requantize: property tests, fast == reference ------------------------------------

@st.composite
def requant_case(draw: st.DrawFn, acc_bits: int = 31) -> tuple:
    n = draw(st.integers(1, 16))
    edge = [-(2**acc_bits), 2**acc_bits - 1, 0, 1, -1]
    acc = draw(st.lists(st.one_of(st.integers(-(2**acc_bits), 2**acc_bits - 1),
                                  st.sampled_from(edge)), min_size=n, max_size=n))
    mult = draw(st.one_of(st.integers(2**30, 2**31 - 1), st.integers(0, 2**31 - 1),
                          st.sampled_from([0, 2**30, 2**31 - 1])))
    if draw(st.booleans()):  # keep results in range: shift from the product's size
        big = max(abs(a) for a in acc) * max(mult, 1)
        lo = max(-31, 31 - 62)
        hi = min(30, 31 - max(big.bit_length() - 20, 1))
        shift = draw(st.integers(lo, max(lo, hi)))
    else:
        shift = draw(st.integers(-31, 30))
    zp = draw(st.integers(-128, 127))
    dtype = draw(st.sampled_from(OUT_DTYPES))
    mode = draw(st.sampled_from(MODES))
    clamp = draw(st.one_of(st.none(), st.tuples(st.integers(-200, 0), st.integers(0, 200))))
    return np.array(acc, np.int64), mult, shift, zp, dtype, mode, clamp


@EXACT
@given(requant_case())
def test_requantize_equals_reference_int32_acc(case: tuple) -> None:
    acc, mult, shift, zp, dtype, mode, clamp = case
    lo, hi = clamp if clamp else (None, None)
    acc = acc.astype(np.int32)
    assert (requantize(acc, mult, shift, zp, dtype, mode, lo, hi)
            == requantize_ref(acc, mult, shift, zp, dtype, mode, lo, hi)).all()


@EXACT
@given(requant_case(acc_bits=47))
def test_requantize_equals_reference_wide_acc(case: tuple) -> None:
    acc, mult, shift, zp, dtype, mode, clamp = case
    lo, hi = clamp if clamp else (None, None)
    acc = np.clip(acc, -(2**47) + 1, 2**47 - 1)
    assert (requantize(acc, mult, shift, zp, dtype, mode, lo, hi)
            == requantize_ref(acc, mult, shift, zp, dtype, mode, lo, hi)).all()


@st.composite
def tie_case(draw: st.DrawFn, acc_bits: int) -> tuple[int, int, int]:
    """acc * multiplier = odd * 2**(t - 1) with t = 31 - shift: an exact tie."""
    p = draw(st.integers(0, 30))
    q = draw(st.integers(0, min(acc_bits - 1, 61 - p)))
    om = draw(st.integers(0, 2 ** (30 - p) - 1)) * 2 + 1
    sign = draw(st.sampled_from([1, -1]))
    oa = (draw(st.integers(0, 2 ** (acc_bits - 1 - q) - 1)) * 2 + 1) * sign
    t = p + q + 1
    return oa << q, om << p, 31 - t


@EXACT
@given(tie_case(31), st.sampled_from(MODES), st.sampled_from(["int32", "int16"]))
def test_requantize_ties_int32_acc(case: tuple[int, int, int], mode: RoundingMode,
                                   dtype: str) -> None:
    acc, mult, shift = case
    if shift < -31 or acc >= 2**31:
        return
    a = np.array([acc], np.int32)
    got = int(requantize(a, mult, shift, 0, dtype, mode)[0])
    assert got == int(requantize_ref(a, mult, shift, 0, dtype, mode)[0])
    assert (acc * mult) % 2 ** (31 - shift) == 2 ** (30 - shift)  # really a tie


@EXACT
@given(tie_case(47), st.sampled_from(MODES))
def test_requantize_ties_wide_acc(case: tuple[int, int, int], mode: RoundingMode) -> None:
    acc, mult, shift = case
    if shift < -31 or abs(acc) >= 2**47:
        return
    a = np.array([acc, -acc, 2**32 + 7], np.int64)  # the last forces the wide path
    assert (requantize(a, mult, shift, 0, "int32", mode)
            == requantize_ref(a, mult, shift, 0, "int32", mode)).all()


def _tflite_double_rounding(acc: int, mult: int, shift: int) -> int:
    """gemmlowp SaturatingRoundingDoublingHighMul then RoundingDivideByPOT (shift <= 0)."""
    ab = acc * mult
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    x = ab + nudge
    high = abs(x) // (1 << 31) * (1 if x >= 0 else -1)  # C++ division truncates
    e = -shift
    mask = (1 << e) - 1
    threshold = (mask >> 1) + (1 if high < 0 else 0)
    return (high >> e) + (1 if (high & mask) > threshold else 0)


def test_single_rounding_differs_from_tflite_double_rounding() -> None:
    """The documented difference (docs/numerics.md §3.2): TFLite rounds twice."""
    acc, mult, shift = -1009968, 1121678193, -1  # exact value -263764.309...
    assert _tflite_double_rounding(acc, mult, shift) == -263765
    got = requantize(np.array([acc], np.int32), mult, shift, 0, "int32",
                     R.HALF_AWAY_FROM_ZERO)
    assert int(got[0]) == -263764
    # TFLite's single-rounding build ((x*M + 2**(t-1)) >> t) is our HALF_UP:
    t = 31 - shift
    assert (acc * mult + (1 << (t - 1))) >> t == int(
        requantize(np.array([acc], np.int32), mult, shift, 0, "int32", R.HALF_UP)[0])


@FEW
@given(st.integers(0, 2**31 - 1), st.integers(-31, 30), st.sampled_from(MODES))
def test_requantize_extreme_accumulators(mult: int, shift: int, mode: RoundingMode) -> None:
    acc = np.array([-(2**31), 2**31 - 1, -1, 1, 0], np.int32)
    assert (requantize(acc, mult, shift, 0, "int32", mode)
            == requantize_ref(acc, mult, shift, 0, "int32", mode)).all()
