"""Real multipliers as (Q31 multiplier, shift) and requantization (docs/numerics.md §3).

A real multiplier ``m`` is stored as ``multiplier * 2**(shift - 31)`` with
``multiplier`` an int32 in ``[2**30, 2**31)`` (or 0) and ``shift`` in
``[MIN_SHIFT, MAX_SHIFT]``, a *left* shift as in TFLite.  Requantization is

    y = clamp(round(acc * multiplier / 2**(31 - shift)) + zero_point)

with ONE rounding (``mode``) of the exact product.  ``requantize_ref`` is
the definition (Python integers); ``requantize`` is the fast int64 kernel,
property-tested equal to it for every int32 accumulator.
"""

from __future__ import annotations

import numpy as np

from npukit.errors import NpukitError
from npukit.numerics._axis import along
from npukit.numerics.rounding import (
    RoundingMode,
    apply_rounding,
    round_div_ref,
    round_float,
    rounding_rshift,
    rounding_rshift_fast,
)
from npukit.numerics.saturate import DTypeLike, clamp_bounds, storage_dtype

MIN_SHIFT = -31  # smaller multipliers (< 2**-32) flush to (0, 0)
MAX_SHIFT = 30  # multipliers must be < 2**30
ACC_LIMIT = 2**47  # |acc| < 2**47: 48-bit accumulators (int16 paths)
_DIRECT = 2**32  # |acc| < 2**32: acc * multiplier fits int64 directly


def quantize_multiplier(real_multiplier: np.ndarray | float,
                        bits: int = 31) -> tuple[np.ndarray, np.ndarray]:
    """``(multiplier, shift)`` int32 arrays with ``real ~= multiplier * 2**(shift - 31)``.

    gemmlowp/TFLite QuantizeMultiplier, vectorised: ``frexp`` splits ``m`` into
    ``q * 2**e`` with ``q`` in [0.5, 1); ``multiplier = round(q * 2**31)``
    (half away from zero); if that rounds up to ``2**31`` it is halved and
    ``e`` grows by one.  ``m == 0`` and ``m < 2**-32`` give ``(0, 0)`` — exact
    for every nearest-rounding mode, as ``|acc * m| < 0.5`` for int32 ``acc``.
    ``m >= 2**30`` or negative / non-finite ``m`` raise.

    ``bits < 31`` keeps only ``bits`` significant bits (``bits=15``: a Q15
    multiplier as in NVDLA's SDP) but still returns the Q31 form, with the
    low ``31 - bits`` bits zero: ``acc * (m15 << 16) / 2**(31 - shift)`` is
    the same rational number as ``acc * m15 / 2**(15 - shift)``, so
    ``requantize`` is bit-exact for such hardware unchanged.
    """
    if not 1 <= bits <= 31:
        raise ValueError("bits must lie in [1, 31]")
    m = np.asarray(real_multiplier, dtype=np.float64)
    if not np.all(np.isfinite(m)) or np.any(m < 0):
        raise NpukitError("requantization multiplier must be finite and >= 0",
                          hint="check the scales: multiplier = s_in * s_w / s_out")
    frac, exp = np.frexp(m)
    q = round_float(frac * 2.0**bits, RoundingMode.HALF_AWAY_FROM_ZERO).astype(np.int64)
    edge = q == 2**bits
    q = np.where(edge, q // 2, q) << (31 - bits)
    exp = exp.astype(np.int64) + edge
    tiny = exp < MIN_SHIFT
    q, exp = np.where(tiny, 0, q), np.where(tiny, 0, exp)
    if np.any(exp > MAX_SHIFT):
        raise NpukitError(f"requantization multiplier {float(np.max(m))!r} is too large "
                          f"(must round to less than 2**{MAX_SHIFT})",
                          hint="the output scale is far smaller than the input scales")
    return q.astype(np.int32), exp.astype(np.int32)


def multiplier_to_float(multiplier: np.ndarray | int, shift: np.ndarray | int) -> np.ndarray:
    """The real number a (multiplier, shift) pair stands for (exact in float64)."""
    return np.ldexp(np.asarray(multiplier, np.float64), np.asarray(shift, np.int64) - 31)


def _check(multiplier: np.ndarray, shift: np.ndarray) -> None:
    if multiplier.size and (multiplier.min() < 0 or multiplier.max() >= 2**31):
        raise ValueError("multiplier must lie in [0, 2**31)")
    if shift.size and (shift.min() < MIN_SHIFT or shift.max() > MAX_SHIFT):
        raise ValueError(f"shift must lie in [{MIN_SHIFT}, {MAX_SHIFT}]")


def requantize_ref(acc: np.ndarray | int, multiplier: np.ndarray | int,
                   shift: np.ndarray | int, zero_point: np.ndarray | int,
                   dtype: DTypeLike, mode: RoundingMode, clamp_min: int | None = None,
                   clamp_max: int | None = None, axis: int | None = None) -> np.ndarray:
    """Reference requantization, one element at a time in Python integers.

    For each element: ``p = acc * multiplier`` (exact), ``y = p / 2**(31 - shift)``
    rounded once with ``mode``, plus ``zero_point``, clamped to the dtype range
    intersected with ``[clamp_min, clamp_max]``.  Any integer ``acc`` is accepted.
    """
    mode = RoundingMode.parse(mode)
    a = np.asarray(acc)
    m = np.asarray(along(multiplier, a.ndim, axis), np.int64)
    s = np.asarray(along(shift, a.ndim, axis), np.int64)
    _check(m, s)
    zp = along(zero_point, a.ndim, axis)
    lo, hi = clamp_bounds(dtype, clamp_min, clamp_max)
    a, m, s, zp = np.broadcast_arrays(a, m, s, zp)
    out = np.empty(a.shape, dtype=storage_dtype(dtype))
    for idx in np.ndindex(a.shape):
        p = int(a[idx]) * int(m[idx])
        y = round_div_ref(p, 2 ** (31 - int(s[idx])), mode) + int(zp[idx])
        out[idx] = min(max(y, lo), hi)
    return out


def requantize(acc: np.ndarray | int, multiplier: np.ndarray | int,
               shift: np.ndarray | int, zero_point: np.ndarray | int,
               dtype: DTypeLike, mode: RoundingMode, clamp_min: int | None = None,
               clamp_max: int | None = None, axis: int | None = None) -> np.ndarray:
    """Fast requantization, equal to ``requantize_ref`` to the bit.

    ``acc`` is an int32 or int64 array with ``|acc| < 2**47``; per-channel
    ``multiplier`` / ``shift`` / ``zero_point`` are 1-D arrays along ``axis``.
    int32-range accumulators take one int64 product and ``rounding_rshift``;
    wider ones split the multiplier into 15 + 16 bits so every partial
    product fits int64 (docs/numerics.md §3.3).
    """
    mode = RoundingMode.parse(mode)
    a = np.asarray(acc)
    if a.dtype.kind not in "iu":
        raise TypeError(f"requantize needs an integer accumulator, got {a.dtype}")
    m = along(np.asarray(multiplier, np.int64), a.ndim, axis)
    s = along(np.asarray(shift, np.int64), a.ndim, axis)
    _check(m, s)
    lo, hi = clamp_bounds(dtype, clamp_min, clamp_max)
    amax = max(int(a.max()), -int(a.min())) if a.size else 0  # no abs(-2**63) wrap
    if amax >= ACC_LIMIT:
        raise OverflowError(f"accumulator magnitude {amax} exceeds 2**47")
    if amax < _DIRECT:  # |acc * multiplier| < 2**63, and < 2**62 for int32 acc
        y = np.multiply(a, m, dtype=np.int64)
        y = rounding_rshift_fast(y, 31 - s, mode) if amax <= 2**31 else \
            rounding_rshift(y, 31 - s, mode)
    else:
        y = _wide_product_rshift(a.astype(np.int64), m, 31 - s, mode)
    # |y| < 2**62 and |zero_point| < 2**32: the sum cannot overflow
    y = np.asarray(y + along(np.asarray(zero_point, np.int64), a.ndim, axis))
    return np.clip(y, lo, hi).astype(storage_dtype(dtype))


def _wide_product_rshift(a: np.ndarray, m: np.ndarray, t: np.ndarray,
                         mode: RoundingMode) -> np.ndarray:
    """``round(a * m / 2**t)`` for ``|a| < 2**47``, ``m < 2**31``, ``1 <= t <= 62``.

    The product (up to 2**78) is held as ``Z * 2**16 + Yl`` with ``0 <= Yl < 2**16``:
    ``m = mh * 2**16 + ml``; ``Z = a*mh + floor(a*ml / 2**16)``, ``Yl = a*ml mod 2**16``.
    Results beyond +-2**40 only need their sign (they saturate), so ``Z`` is
    clipped before it is scaled up when ``t < 16``.
    """
    a, m, t = np.broadcast_arrays(a, m, t)
    y = a * (m & 0xFFFF)
    z = a * (m >> 16) + (y >> 16)
    yl = y & 0xFFFF
    # t >= 16: quotient floor(Z / 2**u); remainder rz * 2**16 + Yl against half 2**(t-1)
    u = np.maximum(t - 16, 0)
    q_hi = z >> u
    rz = z & ((np.int64(1) << u) - 1)
    hu = np.where(u > 0, np.int64(1) << np.maximum(u - 1, 0), 0)
    vs_hi = np.where(u > 0, np.where(rz != hu, np.sign(rz - hu), np.sign(yl)),
                     np.sign(yl - 2**15))
    nz_hi = (rz != 0) | (yl != 0)
    # t < 16: quotient Z * 2**(16-t) + floor(Yl / 2**t); remainder from Yl alone
    tl = np.clip(t, 1, 15)
    q_lo = (np.clip(z, -(2**40), 2**40) << (16 - tl)) + (yl >> tl)
    r_lo = yl & ((np.int64(1) << tl) - 1)
    vs_lo = np.sign(r_lo - (np.int64(1) << (tl - 1)))
    wide = t >= 16
    q = np.where(wide, q_hi, q_lo)
    return apply_rounding(q, np.where(wide, nz_hi, r_lo != 0),
                          np.where(wide, vs_hi, vs_lo), mode)
