"""Exact integer division with rounding (average pooling, docs/numerics.md §6)."""

from __future__ import annotations

import numpy as np

from npukit.numerics.rounding import RoundingMode, apply_rounding, round_div_ref


def rounding_divide(acc: np.ndarray | int, divisor: np.ndarray | int,
                    mode: RoundingMode) -> np.ndarray:
    """``round(acc / divisor)`` exactly in int64; ``divisor > 0`` broadcasts
    (a per-position element count for padded average pooling).

    TFLite's int8 average pool, ``(acc +- count/2) / count`` in C, is
    HALF_AWAY_FROM_ZERO.
    """
    mode = RoundingMode.parse(mode)
    a = np.asarray(acc)
    if a.dtype.kind not in "iu":
        raise TypeError(f"rounding_divide needs integers, got {a.dtype}")
    d = np.asarray(divisor)
    if d.dtype.kind not in "iu":
        raise TypeError(f"divisor must be integer, got {d.dtype}")
    d = d.astype(np.int64)
    if d.size and d.min() <= 0:
        raise ValueError("divisor must be positive")
    a = a.astype(np.int64)
    q = np.floor_divide(a, d)
    r = a - q * d  # 0 <= r < d
    return apply_rounding(q, r != 0, np.sign(2 * r - d), mode)


def rounding_divide_ref(acc: np.ndarray | int, divisor: np.ndarray | int,
                        mode: RoundingMode) -> np.ndarray:
    """Reference for ``rounding_divide``: Python integers, one element at a time."""
    a, d = np.broadcast_arrays(np.asarray(acc), np.asarray(divisor))
    out = np.empty(a.shape, np.int64)
    for idx in np.ndindex(a.shape):
        out[idx] = round_div_ref(int(a[idx]), int(d[idx]), mode)
    return out
