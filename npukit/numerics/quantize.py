"""Affine quantization: ``real = scale * (q - zero_point)`` (docs/numerics.md §1).

Plain functions over arrays; the frozen per-value quantization record lives
in the IR.  Per-channel parameters are 1-D arrays applied along ``axis``.
"""

from __future__ import annotations

import numpy as np

from npukit.errors import NpukitError
from npukit.numerics._axis import along
from npukit.numerics.rounding import RoundingMode, round_float
from npukit.numerics.saturate import DTypeLike, qrange, saturate

_FAR = float(2**40)
_TINY_SCALE = float(np.finfo(np.float32).tiny)  # smallest scale choose_qparams returns


def quantize(real: np.ndarray | float, scale: np.ndarray | float,
             zero_point: np.ndarray | int, dtype: DTypeLike, mode: RoundingMode,
             axis: int | None = None) -> np.ndarray:
    """``saturate(round(real / scale) + zero_point)`` in ``dtype``'s storage type.

    The division runs in the wider float type of ``real`` and ``scale``
    (float32 / float32 stays float32, as ONNX QuantizeLinear does; pass a
    float64 scale for float64).  NaN quantizes to ``zero_point`` (real 0);
    +-inf saturate.
    """
    r = np.asarray(real)
    if r.dtype.kind != "f":
        r = r.astype(np.float64)
    s = along(scale, r.ndim, axis)
    if s.dtype.kind != "f":
        s = s.astype(np.float64)
    work = np.result_type(r.dtype, s.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        v = round_float(r.astype(work, copy=False) / s.astype(work, copy=False), mode)
    # Clip far outside every dtype range (zero points are int32) before the int cast.
    v = np.nan_to_num(np.clip(v, -_FAR, _FAR), nan=0.0)
    zp = along(zero_point, r.ndim, axis).astype(np.int64)
    return saturate(v.astype(np.int64) + zp, dtype)


def dequantize(q: np.ndarray | int, scale: np.ndarray | float,
               zero_point: np.ndarray | int, axis: int | None = None,
               out_dtype: DTypeLike = np.float32) -> np.ndarray:
    """``scale * (q - zero_point)``: the subtraction is exact (int64), then one
    multiply in ``out_dtype`` (float32 unless asked)."""
    qa = np.asarray(q)
    if qa.dtype.kind not in "iu":
        raise TypeError(f"dequantize needs integers, got {qa.dtype}")
    zp = along(zero_point, qa.ndim, axis).astype(np.int64)
    centred = (qa.astype(np.int64) - zp).astype(out_dtype)
    return centred * along(scale, qa.ndim, axis).astype(out_dtype)


def choose_qparams(min_val: np.ndarray | float, max_val: np.ndarray | float,
                   dtype: DTypeLike, symmetric: bool, *, narrow: bool = False,
                   mode: RoundingMode = RoundingMode.HALF_TO_EVEN,
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``(scale, zero_point)`` (float32, int32 arrays) covering ``[min_val, max_val]``.

    * The range is first widened to contain 0, so real 0 is exactly a code
      (padding and ReLU need it).
    * ``symmetric``: zero point 0 for signed types (the unsigned middle,
      e.g. 128, for unsigned ones) and ``scale = max|x| / qmax``; ``narrow``
      restricts codes to ``[-qmax, qmax]`` (int8 weights in [-127, 127]).
    * asymmetric: ``scale = (max - min) / (qmax - qmin)``,
      ``zero_point = qmin - round(min / scale)`` (``mode``), clamped to range.
    * An all-zero range (min == max == 0) gives scale 1.0; scales never go
      below float32's smallest normal.  Per-channel: pass arrays.
    """
    lo = np.minimum(np.asarray(min_val, dtype=np.float64), 0.0)
    hi = np.maximum(np.asarray(max_val, dtype=np.float64), 0.0)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise NpukitError("calibration range is not finite (NaN or inf seen)",
                          hint="check the calibration data and the float model")
    if np.any(np.asarray(min_val) > np.asarray(max_val)):
        raise NpukitError("calibration range has min > max")
    qmin, qmax = qrange(dtype, narrow=narrow and symmetric)
    if symmetric:
        amax = np.maximum(-lo, hi)
        unsigned = qmin >= 0
        half = (qmax - qmin) // 2 if unsigned else qmax  # uint8: 127 codes each side
        scale = _as_scale(amax / half)
        zp = np.full(scale.shape, (qmax + qmin + 1) // 2 if unsigned else 0, np.int64)
    else:
        scale = _as_scale((hi - lo) / (qmax - qmin))
        zp = qmin - round_float(lo / scale.astype(np.float64), mode).astype(np.int64)
        zp = np.clip(zp, qmin, qmax)
    return scale, zp.astype(np.int32)


def _as_scale(raw: np.ndarray) -> np.ndarray:
    """float32 scale; 1.0 where the range was empty, never below float32 tiny."""
    s = np.where(raw > 0, np.maximum(raw, _TINY_SCALE), 1.0)
    return np.asarray(s, dtype=np.float32)
