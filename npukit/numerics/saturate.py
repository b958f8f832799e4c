"""Integer ranges of the quantized dtypes, saturation and fused-activation clamps.

A quantized dtype is named by a string (``"int8"``, ``"uint4"`` …).  Sub-byte
types are *stored* in the next NumPy type (int4 in int8, uint4 in uint8) and
only their range differs; packing two per byte is the compiler's business.
"""

from __future__ import annotations

from typing import Union

import numpy as np

from npukit.errors import NpukitError
from npukit.numerics.rounding import RoundingMode, round_float

QDTYPES: dict[str, tuple[int, int, str]] = {
    # name: (min, max, storage dtype)
    "int4": (-8, 7, "int8"),
    "uint4": (0, 15, "uint8"),
    "int8": (-128, 127, "int8"),
    "uint8": (0, 255, "uint8"),
    "int16": (-32768, 32767, "int16"),
    "uint16": (0, 65535, "uint16"),
    "int32": (-(2**31), 2**31 - 1, "int32"),
}

DTypeLike = Union[str, np.dtype, type]


def qdtype_name(dtype: DTypeLike) -> str:
    """Canonical name of a quantized dtype given a name, NumPy dtype or type."""
    if isinstance(dtype, str):
        name = dtype.strip().lower()
        if name in QDTYPES:
            return name
    else:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = str(dtype)
        if name in QDTYPES:
            return name
    raise NpukitError(f"unsupported quantized dtype {dtype!r}",
                      hint="use one of " + ", ".join(QDTYPES))


def qrange(dtype: DTypeLike, *, narrow: bool = False) -> tuple[int, int]:
    """``(min, max)`` of ``dtype``; ``narrow`` drops the most negative value
    (int8 -> [-127, 127]) so a symmetric range has no lone code."""
    lo, hi, _ = QDTYPES[qdtype_name(dtype)]
    if narrow and lo < 0:
        lo += 1
    return lo, hi


def storage_dtype(dtype: DTypeLike) -> np.dtype:
    """The NumPy dtype that holds values of ``dtype``."""
    return np.dtype(QDTYPES[qdtype_name(dtype)][2])


def clamp_bounds(dtype: DTypeLike, clamp_min: int | None = None,
                 clamp_max: int | None = None) -> tuple[int, int]:
    """Intersection of the dtype range with optional fused-activation bounds."""
    lo, hi = qrange(dtype)
    if clamp_min is not None:
        lo = max(lo, int(clamp_min))
    if clamp_max is not None:
        hi = min(hi, int(clamp_max))
    if lo > hi:
        raise ValueError(f"empty clamp range [{lo}, {hi}] for {qdtype_name(dtype)}")
    return lo, hi


def saturate(x: np.ndarray | int, dtype: DTypeLike, clamp_min: int | None = None,
             clamp_max: int | None = None) -> np.ndarray:
    """Clamp integers to ``dtype`` (and to the fused bounds) and cast to its storage.

    ``x`` must be an integer array (any width); floats are rejected so a
    forgotten rounding step cannot hide here.
    """
    a = np.asarray(x)
    if a.dtype.kind not in "iub":
        raise TypeError(f"saturate needs integers, got {a.dtype} (round first)")
    lo, hi = clamp_bounds(dtype, clamp_min, clamp_max)
    if a.dtype.kind == "u":
        a = a.astype(np.int64) if a.dtype.itemsize < 8 else a
    if a.dtype == np.uint64:
        a = np.minimum(a, np.uint64(hi)).astype(np.int64)
    return np.clip(a, lo, hi).astype(storage_dtype(dtype))


def fused_activation_bounds(real_min: float | None, real_max: float | None, scale: float,
                            zero_point: int, dtype: DTypeLike,
                            mode: RoundingMode) -> tuple[int, int]:
    """Quantized clamp bounds for a fused ReLU / ReLU6 / Clip(real_min, real_max).

    A bound is ``zero_point + round(bound / scale)`` (``mode``), intersected with
    the dtype range; ``None`` or an infinite bound means unbounded.  ReLU is ``(0, None)``, ReLU6
    ``(0, 6)``.  Matches TFLite's CalculateActivationRangeQuantized when
    ``mode`` is HALF_AWAY_FROM_ZERO.
    """
    def q(v: float) -> int:
        return int(zero_point) + int(round_float(np.float64(v) / np.float64(scale), mode))

    lo, hi = qrange(dtype)
    if real_min is not None and np.isfinite(real_min):
        lo = min(max(lo, q(real_min)), hi)
    if real_max is not None and np.isfinite(real_max):
        hi = max(min(hi, q(real_max)), lo)
    return lo, hi
