import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npukit.errors import NpukitError
from npukit.numerics.rounding import RoundingMode
from npukit.numerics.saturate import (
    QDTYPES,
    clamp_bounds,
    fused_activation_bounds,
    qdtype_name,
    qrange,
    saturate,
    storage_dtype,
)

from ._hyp import EXACT

R = RoundingMode


def test_ranges() -> None:
    assert qrange("int4") == (-8, 7)
    assert qrange("uint4") == (0, 15)
    assert qrange("int8") == (-128, 127)
    assert qrange(np.uint8) == (0, 255)
    assert qrange(np.dtype("int16")) == (-32768, 32767)
    assert qrange("uint16") == (0, 65535)
    assert qrange("int32") == (-(2**31), 2**31 - 1)
    assert qrange("int8", narrow=True) == (-127, 127)
    assert qrange("int4", narrow=True) == (-7, 7)
    assert qrange("uint8", narrow=True) == (0, 255)


def test_storage() -> None:
    assert storage_dtype("int4") == np.int8
    assert storage_dtype("uint4") == np.uint8
    assert storage_dtype("int16") == np.int16
    for name, (lo, hi, store) in QDTYPES.items():
        info = np.iinfo(store)
        assert info.min <= lo and hi <= info.max, name


def test_unknown_dtype_names_the_choices() -> None:
    with pytest.raises(NpukitError, match="int8"):
        qdtype_name("float32")
    with pytest.raises(NpukitError):
        qdtype_name(np.float16)


def test_saturate_hand() -> None:
    x = np.array([-300, -129, -128, 0, 127, 128, 300], np.int32)
    assert saturate(x, "int8").tolist() == [-128, -128, -128, 0, 127, 127, 127]
    assert saturate(x, "int8").dtype == np.int8
    assert saturate(x, "uint8").tolist() == [0, 0, 0, 0, 127, 128, 255]
    assert saturate(x, "int4").tolist() == [-8, -8, -8, 0, 7, 7, 7]
    assert saturate(x, "int8", clamp_min=0, clamp_max=100).tolist() == [0, 0, 0, 0, 100, 100, 100]
    assert saturate(np.array([2**40, -(2**40)]), "int32").tolist() == [2**31 - 1, -(2**31)]
    assert saturate(np.array([2**63], np.uint64), "int16").tolist() == [32767]
    assert saturate(np.array([True, False]), "int8").tolist() == [1, 0]


def test_saturate_rejects_floats() -> None:
    with pytest.raises(TypeError, match="round first"):
        saturate(np.array([1.5]), "int8")


def test_clamp_bounds() -> None:
    assert clamp_bounds("int8") == (-128, 127)
    assert clamp_bounds("int8", -5, None) == (-5, 127)
    assert clamp_bounds("uint8", -5, 300) == (0, 255)
    with pytest.raises(ValueError):
        clamp_bounds("int8", 10, 5)


@EXACT
@given(st.lists(st.integers(-(2**62), 2**62), max_size=20),
       st.sampled_from(sorted(QDTYPES)))
def test_saturate_is_clip(values: list[int], dtype: str) -> None:
    lo, hi = qrange(dtype)
    got = saturate(np.array(values, np.int64), dtype)
    assert got.tolist() == [min(max(v, lo), hi) for v in values]


def test_fused_activation_bounds() -> None:
    # ReLU on int8, zp -10: [zp, 127]
    relu = fused_activation_bounds(0.0, None, 0.05, -10, "int8", R.HALF_AWAY_FROM_ZERO)
    assert relu == (-10, 127)
    # ReLU6 with scale 6/255, zp -128: 6 / scale = 255 -> 127
    assert fused_activation_bounds(0.0, 6.0, 6 / 255, -128, "int8", R.HALF_TO_EVEN) == (-128, 127)
    # ReLU6 with scale 0.04: 6/0.04 = 150 -> 150 + zp(-128) = 22
    assert fused_activation_bounds(0.0, 6.0, 0.04, -128, "int8", R.HALF_TO_EVEN) == (-128, 22)
    # Clip(-1, 1) at scale 0.4: +-2.5 is a tie; the mode decides
    assert fused_activation_bounds(-1.0, 1.0, 0.4, 0, "int8", R.HALF_AWAY_FROM_ZERO) == (-3, 3)
    assert fused_activation_bounds(-1.0, 1.0, 0.4, 0, "int8", R.HALF_TO_EVEN) == (-2, 2)
    # no bounds -> dtype range; a bound outside the range saturates
    assert fused_activation_bounds(None, None, 1.0, 0, "uint8", R.FLOOR) == (0, 255)
    assert fused_activation_bounds(-1e9, 1e9, 1.0, 0, "int8", R.FLOOR) == (-128, 127)
    assert fused_activation_bounds(-np.inf, np.inf, 1.0, 0, "int8", R.FLOOR) == (-128, 127)
