"""The integer AIPP path: fast == per-pixel reference to the bit; == float reference where exact."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from npukit.numerics import RoundingMode, quantize
from npukit.preprocess import (
    AippError,
    AippStage,
    float_ref,
    formats,
    from_dict,
    integer,
)
from npukit.preprocess.config import Csc
from npukit.preprocess.integer_ref import run_int_ref

from ._strategies import EXACT, FEW, configs

_DTYPES = ("uint8", "int8", "int16")


def _cfg(d: dict):
    try:
        return from_dict(d)
    except AippError:
        assume(False)


@EXACT
@given(configs(), st.integers(0, 2**31), st.sampled_from(_DTYPES),
       st.sampled_from([1.0, 0.5, 0.0171, 2.0**-7, 0.013]), st.sampled_from(list(RoundingMode)))
def test_fast_equals_per_pixel_reference(d, seed, dtype, scale, mode):
    cfg = _cfg(d)
    rng = np.random.default_rng(seed)
    frame = rng.integers(0, 256, formats.frame_shape(cfg.input_format, cfg.src_h, cfg.src_w),
                         dtype=np.uint8)
    zp = {"uint8": 128, "int8": -3, "int16": 7}[dtype]
    fast = integer.run_int(frame, cfg, scale, zp, dtype, mode)
    ref = run_int_ref(frame, cfg, scale, zp, dtype, mode)
    assert fast.dtype == ref.dtype and np.array_equal(fast, ref)


@FEW
@given(configs(bilinear=False), st.integers(0, 2**31), st.integers(-3, 3),
       st.sampled_from(list(RoundingMode)))
def test_float_and_int_equal_where_the_fold_is_exact(d, seed, k, mode):
    for i in range(3):  # var_reci float32, mean + min a multiple of 1/256
        d[f"var_reci_chn_{i}"] = float(np.float32(1 / 58.395))
        d[f"min_chn_{i}"] = d.get(f"min_chn_{i}", 0.0)
    cfg = _cfg(d)
    scale = float(np.float32(1 / 58.395)) * 2.0**k
    stage = AippStage(cfg)
    assert stage.fold_exact(scale)
    frame = np.random.default_rng(seed).integers(0, 256, stage.input_spec().shape, np.uint8)
    real = float_ref.run_float64(frame[0], cfg)
    want = quantize(real, np.float64(scale), 5, "int16", mode)
    assert np.array_equal(stage.run_int(frame, (scale, 5, "int16"), mode)[0], want)


@FEW
@given(configs(), st.integers(0, 2**31))
def test_bilinear_within_one_code_of_the_float_reference(d, seed):
    cfg = _cfg(d)
    n = cfg.normalize
    scale = max(abs(v) for v in n.var_reci) or 1.0  # one pixel level <= one code
    stage = AippStage(cfg)
    frame = np.random.default_rng(seed).integers(0, 256, stage.input_spec().shape, np.uint8)
    want = quantize(float_ref.run_float64(frame[0], cfg), scale, 0, "int16",
                    RoundingMode.HALF_TO_EVEN).astype(int)
    got = stage.run_int(frame, (scale, 0, "int16"))[0].astype(int)
    assert np.abs(got - want).max() <= 1


def test_fold_exact_flags():
    base = {"input_format": "RGB888_U8", "src_image_size_w": 8, "src_image_size_h": 8,
            "var_reci_chn_0": 0.5, "var_reci_chn_1": 0.5, "var_reci_chn_2": 0.5,
            "mean_chn_0": 3}
    assert AippStage(from_dict(base)).fold_exact(0.25)
    assert not AippStage(from_dict(base)).fold_exact(0.3)
    assert not AippStage(from_dict({**base, "min_chn_0": 0.001})).fold_exact(0.25)
    bil = {**base, "resize": True, "resize_output_w": 4, "resize_output_h": 4}
    assert not AippStage(from_dict(bil)).fold_exact(0.25)


@pytest.mark.parametrize("n_in, n_out", [(1, 1), (1, 5), (5, 1), (7, 3), (3, 7), (1080, 224),
                                         (224, 1080), (10, 10), (640, 213)])
def test_bilinear_taps_match_exact_fractions(n_in, n_out):
    i0, i1, w1 = integer.bilinear_taps(n_in, n_out)
    for d in range(n_out):
        s = max(Fraction(2 * d + 1, 2) * n_in / n_out - Fraction(1, 2), Fraction(0))
        f = int(s)
        if f >= n_in - 1:
            assert (i0[d], i1[d], w1[d]) == (n_in - 1, n_in - 1, 0)
        else:
            want = int((s - f) * 2048 + Fraction(1, 2))  # half up
            assert (i0[d], i1[d], w1[d]) == (f, f + 1, want)


@pytest.mark.parametrize("mode, np_mode", [("duplicate", "edge"), ("reflection", "reflect"),
                                           ("symmetric", "symmetric")])
def test_pad_map_matches_numpy_pad(mode, np_mode):
    for n in (1, 2, 5):
        for before, after in ((0, 0), (1, 0), (0, 2), (n - 1, n - 1), (n, n)):
            limit = n - 1 if mode == "reflection" else n  # rule pad_fits
            if mode != "duplicate" and max(before, after) > limit:
                continue
            idx, ok = integer.pad_map(n, before, after, mode)
            assert ok.all()
            assert np.array_equal(idx, np.pad(np.arange(n), (before, after), mode=np_mode))
    idx, ok = integer.pad_map(4, 2, 1, "const_zero")
    assert ok.tolist() == [False, False, True, True, True, True, False]


def test_csc_int_is_the_q8_formula_with_half_up_rounding():
    rng = np.random.default_rng(1)
    pix = rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    m = ((298, 0, 409), (298, -100, -208), (298, 516, 0))
    csc = Csc(m, (16, 128, 128), (1, 2, 3))
    acc = (pix.astype(np.int64) - [16, 128, 128]) @ np.array(m).T
    want = np.clip(np.floor(acc / 256 + 0.5) + [1, 2, 3], 0, 255)
    assert np.array_equal(integer.csc_int(pix, csc), want)
    tie = np.array([[[17, 19, 128]]], np.uint8)  # acc = 128 and 384: exact halves
    half = Csc(((128, 0, 0), (0, 128, 0), (0, 0, 0)), (16, 16, 0), (0, 0, 0))
    assert integer.csc_int(tie, half)[0, 0].tolist() == [1, 2, 0]  # 0.5 -> 1, 1.5 -> 2


@pytest.mark.parametrize("mode, want", [
    (RoundingMode.HALF_TO_EVEN, [0, 1, 2, 2, -2, -2]),
    (RoundingMode.HALF_AWAY_FROM_ZERO, [1, 1, 2, 3, -2, -3]),
    (RoundingMode.HALF_UP, [1, 1, 2, 3, -1, -2]),
    (RoundingMode.TRUNCATE, [0, 1, 1, 2, -1, -2]),
    (RoundingMode.FLOOR, [0, 1, 1, 2, -2, -3]),
])
def test_normalisation_ties_follow_the_rounding_mode(mode, want):
    """(p - 10) * 0.5 for p = 11, 12, 13, 15, 7, 5: 0.5, 1, 1.5, 2.5, -1.5, -2.5."""
    cfg = from_dict({"input_format": "YUV400_U8", "src_image_size_w": 6,
                     "src_image_size_h": 1, "model_format": "GRAY", "mean_chn_0": 10,
                     "var_reci_chn_0": 0.5})
    frame = np.array([[11, 12, 13, 15, 7, 5]], np.uint8)
    got = integer.run_int(frame, cfg, 1.0, 0, "int8", mode)[0, 0].tolist()
    assert got == want
    assert run_int_ref(frame, cfg, 1.0, 0, "int8", mode)[0, 0].tolist() == want
