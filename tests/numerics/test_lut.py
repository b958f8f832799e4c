import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npukit.numerics.lut import LUT_FUNCTIONS, apply_lut, apply_lut_ref, build_lut, lut_size
from npukit.numerics.quantize import quantize
from npukit.numerics.rounding import RoundingMode, round_div_ref

from ._hyp import FEW

R = RoundingMode
MODES = list(RoundingMode)


def test_sizes() -> None:
    assert lut_size("int8") == 256 and lut_size("uint8") == 256
    assert lut_size("int16") == 65536 and lut_size("int4") == 16
    t = build_lut("Tanh", 0.01, 0, "int16", 1 / 32768, 0, "int16", R.HALF_TO_EVEN)
    assert t.shape == (65536,) and t.dtype == np.int16
    with pytest.raises(ValueError):
        build_lut("Tanh", 1.0, 0, "int32", 1.0, 0, "int8", R.HALF_TO_EVEN)


def test_identity_table() -> None:
    t = build_lut(lambda x: x, 0.1, 3, "int8", 0.1, 3, "int8", R.HALF_TO_EVEN)
    assert t.tolist() == list(range(-128, 128))
    q = np.arange(-128, 128, dtype=np.int8).reshape(16, 16)
    assert (apply_lut(q, t, "int8") == q).all()


@pytest.mark.parametrize("mode", MODES)
def test_halving_table_ties(mode: RoundingMode) -> None:
    """y = x / 2 at equal scales: every odd code is a tie the mode must settle."""
    t = build_lut(lambda x: x / 2, 0.5, 0, "int8", 0.5, 0, "int8", mode)
    assert t.tolist() == [round_div_ref(q, 2, mode) for q in range(-128, 128)]


def test_sigmoid_uint8_hand_values() -> None:
    """Sigmoid, input scale 1/16 zp 128, output 1/256 zp 0 (the TFLite convention)."""
    t = build_lut("Sigmoid", 1 / 16, 128, "uint8", 1 / 256, 0, "uint8", R.HALF_AWAY_FROM_ZERO)
    assert t[128] == 128  # sigmoid(0) = 0.5 = 128 / 256
    assert t[255] == 255  # 256 * sigmoid(7.94) = 255.9 saturates at 255
    assert t[0] == 0  # 256 * sigmoid(-8) = 0.086 -> 0
    assert t[144] == round(256 / (1 + math.exp(-1.0)))  # x = 1.0 -> 187


_SCALAR = {
    "Sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "Tanh": math.tanh,
    "Exp": math.exp,
    "Swish": lambda x: x / (1 + math.exp(-x)),
    "HardSwish": lambda x: x * min(max(x + 3, 0), 6) / 6,
    "HardSigmoid": lambda x: min(max(x / 6 + 0.5, 0), 1),
    "Gelu": lambda x: 0.5 * x * (1 + math.erf(x / math.sqrt(2))),
    "GeluTanh": lambda x: 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    "Softplus": lambda x: math.log1p(math.exp(x)),
    "Mish": lambda x: x * math.tanh(math.log1p(math.exp(x))),
    "Elu": lambda x: x if x > 0 else math.expm1(x),
}


@pytest.mark.parametrize("name", sorted(LUT_FUNCTIONS))
def test_named_tables_match_scalar_math(name: str) -> None:
    """Every named table agrees with a scalar evaluation to within one code (libm's
    last-ulp differences can only move a value sitting on a tie)."""
    t = build_lut(name, 8 / 128, 0, "int8", 8 / 128, 0, "int8", R.HALF_TO_EVEN)
    want = [quantize(np.array([_SCALAR[name]((q) * 8 / 128)]), np.float64(8 / 128), 0, "int8",
                     R.HALF_TO_EVEN)[0] for q in range(-128, 128)]
    diff = np.abs(t.astype(int) - np.array(want, int))
    assert diff.max() <= 1 and (diff == 0).mean() > 0.99


def test_apply_lut_rejects_wrong_tables() -> None:
    t = np.zeros(256, np.int8)
    with pytest.raises(ValueError):
        apply_lut(np.zeros(3, np.int16), t, "int16")
    with pytest.raises(TypeError):
        apply_lut(np.zeros(3), t, "int8")
    with pytest.raises(IndexError):
        apply_lut(np.array([16], np.uint8), np.zeros(16, np.uint8), "uint4")


@FEW
@given(st.sampled_from(["int8", "uint8", "int4", "int16"]), st.sampled_from(MODES),
       st.sampled_from(sorted(LUT_FUNCTIONS)), st.integers(0, 2**32 - 1))
def test_apply_lut_equals_reference(in_dtype: str, mode: RoundingMode, name: str,
                                    seed: int) -> None:
    from npukit.numerics.saturate import qrange, storage_dtype
    lo, hi = qrange(in_dtype)
    rng = np.random.default_rng(seed)
    zp = int(rng.integers(lo, hi + 1))
    table = build_lut(name, 4.0 / (hi - lo), zp, in_dtype, 1 / 100, -3, "int8", mode)
    q = rng.integers(lo, hi + 1, size=(3, 17)).astype(storage_dtype(in_dtype))
    assert (apply_lut(q, table, in_dtype) == apply_lut_ref(q, table, in_dtype)).all()
