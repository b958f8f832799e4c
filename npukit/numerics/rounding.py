"""Rounding modes, float rounding and the exact rounding right shift.

Every function takes the rounding mode as an explicit argument: it is a field
of the target profile (see ``docs/numerics.md`` §2).  Integer functions work
on int64 and are exact; nothing here goes through floating point.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from npukit.errors import NpukitError

MAX_SHIFT = 62  # |shift| limit of rounding_rshift: masks and halves stay inside int64


class RoundingMode(str, Enum):
    """How a value exactly between two integers (a *tie*) — or any value — is rounded.

    The string values are the names used in target profiles.
    """

    HALF_AWAY_FROM_ZERO = "half_away_from_zero"  # 2.5 -> 3, -2.5 -> -3 (C round, TFLite)
    HALF_TO_EVEN = "half_to_even"  # 2.5 -> 2, 3.5 -> 4, -2.5 -> -2 (IEEE, np.rint)
    HALF_UP = "half_up"  # 2.5 -> 3, -2.5 -> -2 (toward +inf; add half then floor)
    TRUNCATE = "truncate"  # toward zero: 2.7 -> 2, -2.7 -> -2
    FLOOR = "floor"  # toward -inf: 2.7 -> 2, -2.7 -> -3 (plain arithmetic shift)

    @classmethod
    def parse(cls, name: str | RoundingMode) -> RoundingMode:
        """The mode for a profile spelling (value, enum name or a common alias)."""
        if isinstance(name, RoundingMode):
            return name
        key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
        key = _ALIASES.get(key, key)
        for mode in cls:
            if key in (mode.value, mode.name.lower()):
                return mode
        raise NpukitError(
            f"unknown rounding mode {name!r}",
            hint="use one of " + ", ".join(m.value for m in cls))


_ALIASES = {
    "round_half_away_from_zero": "half_away_from_zero", "away": "half_away_from_zero",
    "round_half_to_even": "half_to_even", "rne": "half_to_even", "even": "half_to_even",
    "banker": "half_to_even", "bankers": "half_to_even",
    "round_half_up": "half_up", "toward_zero": "truncate", "trunc": "truncate",
    "round_down": "floor",
}


def round_float(x: np.ndarray | float, mode: RoundingMode) -> np.ndarray:
    """Round floats to integral floats (same dtype) with ``mode``.

    Uses the fractional part ``x - trunc(x)`` / ``x - floor(x)`` rather than
    ``floor(x + 0.5)``, which gets 0.49999999999999994 wrong (the sum rounds up
    to 1.0).  The fractional part is exact, or lies above 0.5 when it is not,
    so comparing it with 0.5 decides ties exactly.
    """
    mode = RoundingMode.parse(mode)
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    if mode is RoundingMode.HALF_TO_EVEN:
        return np.rint(x)
    if mode is RoundingMode.TRUNCATE:
        return np.trunc(x)
    if mode is RoundingMode.FLOOR:
        return np.floor(x)
    if mode is RoundingMode.HALF_UP:
        fl = np.floor(x)
        return fl + ((x - fl) >= 0.5)
    t = np.trunc(x)  # HALF_AWAY_FROM_ZERO
    return t + np.where(np.abs(x - t) >= 0.5, np.sign(x), 0).astype(x.dtype)


def apply_rounding(q: np.ndarray, rem_nonzero: np.ndarray, vs_half: np.ndarray,
                   mode: RoundingMode) -> np.ndarray:
    """Turn a floor quotient into the ``mode``-rounded quotient.

    ``q`` is ``floor(v)`` of the exact value ``v``, ``rem_nonzero`` says whether
    ``v`` is not an integer and ``vs_half`` is the sign of ``frac(v) - 1/2``
    (-1 below, 0 tie, +1 above).  Because ``q`` is a floor, ``v < 0`` exactly when
    ``q < 0`` (for non-integers), so the sign needed by TRUNCATE and
    HALF_AWAY_FROM_ZERO comes from ``q``.  Shared by every exact integer rounder.
    """
    if mode is RoundingMode.FLOOR:
        return q
    if mode is RoundingMode.TRUNCATE:
        up = rem_nonzero & (q < 0)
    elif mode is RoundingMode.HALF_UP:
        up = vs_half >= 0
    elif mode is RoundingMode.HALF_AWAY_FROM_ZERO:
        up = (vs_half > 0) | ((vs_half == 0) & (q >= 0))
    elif mode is RoundingMode.HALF_TO_EVEN:
        up = (vs_half > 0) | ((vs_half == 0) & ((q & 1) == 1))
    else:  # pragma: no cover - the enum is closed
        raise AssertionError(mode)
    return q + up.astype(q.dtype)


def rounding_rshift(acc: np.ndarray | int, shift: np.ndarray | int,
                    mode: RoundingMode) -> np.ndarray:
    """``round(acc / 2**shift)`` exactly, in int64; a negative shift shifts left.

    ``acc`` is any integer array (int32 or int64), ``shift`` broadcasts against
    it (e.g. per channel) with ``|shift| <= 62``; shift 0 returns ``acc``.
    Left shifts must not overflow int64 (checked).  Returns int64.
    """
    mode = RoundingMode.parse(mode)
    x = np.asarray(acc)
    if x.dtype.kind not in "iu":
        raise TypeError(f"rounding_rshift needs integers, got {x.dtype}")
    x = x.astype(np.int64)
    s = np.asarray(shift, dtype=np.int64)
    if s.size and int(np.max(np.abs(s))) > MAX_SHIFT:
        raise ValueError(f"shift must lie in [-{MAX_SHIFT}, {MAX_SHIFT}]")
    x, s = np.broadcast_arrays(x, s)
    right = np.maximum(s, 0)
    q = x >> right
    rem = x & ((np.int64(1) << right) - 1)
    half = np.where(right > 0, np.int64(1) << np.maximum(right - 1, 0), 1)
    out = apply_rounding(q, rem != 0, np.sign(rem - half), mode)
    if np.any(s < 0):
        left = np.maximum(-s, 0)
        neg = s < 0
        limit = np.int64(1) << (63 - left)
        if np.any(neg & ((x >= limit) | (x < -limit))):
            raise OverflowError("rounding_rshift: left shift overflows int64")
        out = np.where(neg, x << left, out)
    return out


def rounding_rshift_fast(x: np.ndarray, shift: np.ndarray | int,
                         mode: RoundingMode) -> np.ndarray:
    """``rounding_rshift`` for the requantization domain: ``|x| < 2**62`` (int64)
    and ``1 <= shift <= 62``, unchecked.

    Adds a mode-dependent offset, then floor-shifts once (four array passes
    instead of a dozen).  With ``h = 2**(shift-1)`` and ``r`` the remainder:
    HALF_UP adds ``h``; HALF_AWAY_FROM_ZERO adds ``h - 1`` for negatives (a
    negative tie, ``r = h``, then stays at the floor); HALF_TO_EVEN adds ``h - 1``
    plus the floor's low bit (a tie moves up only from an odd floor); TRUNCATE
    adds ``2**shift - 1`` for negatives.  The offset is below ``2**62``, so the
    sum cannot overflow.
    """
    s = np.asarray(shift, dtype=np.int64)
    half = np.int64(1) << (s - 1)
    if mode is RoundingMode.FLOOR:
        return x >> s
    if mode is RoundingMode.HALF_UP:
        return (x + half) >> s
    if mode is RoundingMode.HALF_AWAY_FROM_ZERO:
        return (x + (half - (x < 0))) >> s
    if mode is RoundingMode.HALF_TO_EVEN:
        return (x + (half - 1) + ((x >> s) & 1)) >> s
    if mode is RoundingMode.TRUNCATE:
        return (x + np.where(x < 0, (np.int64(1) << s) - 1, 0)) >> s
    raise AssertionError(mode)  # pragma: no cover - the enum is closed


def round_div_ref(num: int, den: int, mode: RoundingMode) -> int:
    """Reference: ``num / den`` rounded with ``mode``, in Python integers.

    The definition every fast integer rounder is tested against: a floor
    division, then the remainder compared with half the divisor.
    """
    mode = RoundingMode.parse(mode)
    num, den = int(num), int(den)
    if den <= 0:
        raise ValueError("divisor must be positive")
    q, r = divmod(num, den)  # Python floors: 0 <= r < den
    if r == 0 or mode is RoundingMode.FLOOR:
        return q
    if mode is RoundingMode.TRUNCATE:
        return q + 1 if num < 0 else q
    if 2 * r < den:
        return q
    if 2 * r > den:
        return q + 1
    if mode is RoundingMode.HALF_UP:  # exact tie from here on
        return q + 1
    if mode is RoundingMode.HALF_AWAY_FROM_ZERO:
        return q + 1 if num > 0 else q
    return q if q % 2 == 0 else q + 1  # HALF_TO_EVEN
