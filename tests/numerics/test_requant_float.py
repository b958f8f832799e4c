"""RequantPlan (float-held accumulators) equals requantize_ref to the bit, ties included."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npukit.numerics.fixedpoint import quantize_multiplier, requantize_ref
from npukit.numerics.requant_float import RequantPlan
from npukit.numerics.rounding import RoundingMode
from npukit.numerics.saturate import qrange

from ._hyp import EXACT, FEW

MODES = list(RoundingMode)


def _ref(acc, bias, m, s, zp, dtype, mode, lo, hi):
    return requantize_ref(acc.astype(np.int64) + bias[:, None], m, s, zp, dtype, mode,
                          lo, hi, axis=0)


@EXACT
@given(st.integers(1, 6), st.integers(1, 9), st.sampled_from(MODES),
       st.sampled_from(["int8", "uint8", "int16"]), st.integers(0, 2**32 - 1),
       st.sampled_from([2**10, 2**20, 2**24, 2**31, 2**36]), st.booleans(), st.booleans())
def test_plan_equals_reference(channels, pixels, mode, dtype, seed, span, last,
                               bounded) -> None:
    """Random multipliers 2^−30…4 (tiny ones take the int path per channel), biases up
    to 2^31, accumulators up to 2^36; channels first or last; with a static bound or
    checked per tile."""
    rng = np.random.default_rng(seed)
    real = np.exp(rng.uniform(np.log(2.0**-30), np.log(4.0), channels))
    m, s = quantize_multiplier(real)
    acc = rng.integers(-span, span, (channels, pixels)).astype(np.float64)
    bias = rng.integers(-(2**31), 2**31, channels)
    zp = int(rng.integers(-5, 6)) if dtype != "uint8" else int(rng.integers(0, 256))
    qmin, qmax = qrange(dtype)
    lo, hi = qmin + int(rng.integers(0, 20)), qmax - int(rng.integers(0, 20))
    bound = np.abs(acc).max(axis=1) if bounded else None
    want = _ref(acc, bias, m, s, zp, dtype, mode, lo, hi)
    if last:
        acc, want = acc.T.copy(), want.T
    plan = RequantPlan(m, s, zp, dtype, mode, lo, hi, bias=bias,
                       channel_shape=(-1,) if last else (-1, 1), acc_bound=bound)
    got = plan.apply(acc, np.empty(acc.shape, plan.out_dtype))
    assert np.array_equal(got, want)


@FEW
@given(st.sampled_from(MODES), st.integers(1, 20), st.integers(0, 2**32 - 1))
def test_exact_ties(mode, t, seed) -> None:
    """Accumulators placed on and beside every tie of a power-of-two multiplier."""
    rng = np.random.default_rng(seed)
    m = np.array([2**30, 3 * 2**29], np.int32)     # 0.5·2^(s), 0.75·2^(s)
    s = np.array([1 - t, 1 - t], np.int32)           # right shift t (first channel)
    k = rng.integers(-300, 300, 40)
    half = 2 ** (t - 1)
    acc = np.stack([np.concatenate([k * 2**t + half, k * 2**t + half + 1, k * 2**t - half])]
                   * 2).astype(np.float32)
    bias = np.zeros(2, np.int64)
    plan = RequantPlan(m, s, 0, "int16", mode, None, None, channel_shape=(-1, 1))
    got = plan.apply(acc, np.empty(acc.shape, np.int16))
    assert np.array_equal(got, _ref(acc, bias, m, s, 0, "int16", mode, None, None))


def test_channels_last_and_work_buffer() -> None:
    rng = np.random.default_rng(3)
    m, s = quantize_multiplier(rng.uniform(1e-4, 1e-2, 8))
    acc = rng.integers(-(2**20), 2**20, (3, 5, 8)).astype(np.float32)
    plan = RequantPlan(m, s, -3, "int8", "half_away_from_zero", -128, 127,
                       bias=rng.integers(-1000, 1000, 8), channel_shape=(-1,),
                       acc_bound=2**20)
    assert not plan.checked                         # the static bound proves exactness
    got = plan.apply(acc, np.empty(acc.shape, np.int8), np.empty(acc.shape))
    want = requantize_ref(acc.astype(np.int64) + plan.bias_int, m, s, -3, "int8",
                          "half_away_from_zero", -128, 127, axis=2)
    assert np.array_equal(got, want)


@pytest.mark.parametrize("mode", MODES)
def test_beyond_the_exact_range_takes_the_integer_path(mode) -> None:
    """|acc·M| near 2^53 and beyond: the tile check routes to the int64 kernel."""
    m, s = np.array([2**31 - 1], np.int32), np.array([-20], np.int32)
    acc = np.array([[2.0**22 + 1, -(2.0**23) - 3, 2.0**30 + 7, 5.0]])
    plan = RequantPlan(m, s, 0, "int16", mode, None, None, channel_shape=(-1, 1))
    assert plan.acc_limit < 2.0**22
    got = plan.apply(acc, np.empty(acc.shape, np.int16))
    assert np.array_equal(got, _ref(acc, np.zeros(1, np.int64), m, s, 0, "int16", mode,
                                    None, None))


def test_zero_multiplier_channels() -> None:
    m, s = np.array([0, 2**30], np.int32), np.array([0, -3], np.int32)
    acc = np.array([[1e9, -1e9], [17.0, -17.0]])
    plan = RequantPlan(m, s, 2, "int8", "half_to_even", None, None, channel_shape=(-1, 1))
    got = plan.apply(acc, np.empty(acc.shape, np.int8))
    assert np.array_equal(got, _ref(acc, np.zeros(2, np.int64), m, s, 2, "int8",
                                    "half_to_even", None, None))
