"""Requantization of float-held accumulators, planned once per layer (docs/numerics.md §3.4).

The fast kernels accumulate on float BLAS, so their accumulators arrive as
float32 / float64 arrays of exact integers.  ``RequantPlan`` turns them into
output codes with the §3.2 formula, bit-exact to ``requantize_ref``, without
going through int64:

    y = A · r,   A = acc + bias,   r = multiplier · 2^(shift − 31)  (exact in float64)

``A · r`` is the rational ``N · 2^−t`` with ``N = A · multiplier`` and
``t = 31 − shift``.  When ``|N| + 2^(t−1) < 2^53`` the float64 product is
exact, and so are ``y ± ½``; every rounding mode is then one float
instruction on an exact value (``rint`` for half-to-even, ``floor(y + ½)``
for half-up, ``trunc(y + copysign(½, y))`` for half-away-from-zero, …), with
no approximation anywhere.  The plan derives from the per-channel parameters
the largest ``|acc|`` for which that holds; a layer whose worst-case
accumulator (its static bound) can exceed it checks each tile's actual
maximum, and a tile beyond it goes through the integer ``requantize``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from npukit.numerics.fixedpoint import requantize
from npukit.numerics.rounding import RoundingMode
from npukit.numerics.saturate import DTypeLike, clamp_bounds, storage_dtype

_EXACT = 2.0**53
#: a channel whose exact float range is narrower than this always takes the int path
_MIN_LIMIT = 2.0**20


_SIGN = np.int64(-(2**63))
_HALF = np.float64(0.5).view(np.int64)


def _round_inplace(y: np.ndarray, mode: RoundingMode) -> None:
    """Round exact float64 ``y`` in place; exact while ``y ± ½`` is (module docstring)."""
    if mode is RoundingMode.HALF_TO_EVEN:
        np.rint(y, out=y)
    elif mode is RoundingMode.HALF_UP:
        y += 0.5
        np.floor(y, out=y)
    elif mode is RoundingMode.HALF_AWAY_FROM_ZERO:
        # y + copysign(½, y), the sign copied bitwise (np.copysign is 2x slower)
        h = np.bitwise_and(y.view(np.int64), _SIGN)
        h |= _HALF
        y += h.view(np.float64)
        np.trunc(y, out=y)
    elif mode is RoundingMode.FLOOR:
        np.floor(y, out=y)
    elif mode is RoundingMode.TRUNCATE:
        np.trunc(y, out=y)
    else:  # pragma: no cover - the enum is closed
        raise AssertionError(mode)


class RequantPlan:
    """Per-channel requantization of exact float accumulators into codes.

    ``channel_shape`` is how a per-channel vector broadcasts against the tiles
    ``apply`` will see, e.g. ``(-1, 1)`` for (channels, pixels) tiles or
    ``(-1,)`` for channels-last ones.  ``bias`` is an integer per channel (it
    may exceed int32: folded zero-point terms), ``acc_bound`` a bound on
    ``|acc|`` (without bias; a scalar or one per channel) that the caller
    guarantees, or None if unknown.  Channels whose bound proves the float path
    exact need no check; a tile whose maximum passes the others' exact range
    takes the integer path whole; the few channels with no useful float range
    (a multiplier below ~2^−22, a bias near 2^31) always take it.
    """

    def __init__(self, multiplier: np.ndarray, shift: np.ndarray, zero_point: int,
                 dtype: DTypeLike, mode: RoundingMode | str, clamp_min: int | None,
                 clamp_max: int | None, *, bias: np.ndarray | None = None,
                 channel_shape: Sequence[int] = (-1,), acc_bound: float | None = None
                 ) -> None:
        self.mode = RoundingMode.parse(mode)
        m = np.atleast_1d(np.asarray(multiplier, np.int64))
        s = np.atleast_1d(np.asarray(shift, np.int64))
        m, s = np.broadcast_arrays(m, s)
        b = np.zeros(m.shape, np.int64) if bias is None else \
            np.broadcast_to(np.asarray(bias, np.int64), m.shape)
        self.multiplier, self.shift = m.astype(np.int32), s.astype(np.int32)
        self.bias_int = b.reshape(channel_shape)
        self.channel_shape = tuple(channel_shape)
        self.axis = list(channel_shape).index(-1) - len(channel_shape)
        self.r = np.ldexp(m.astype(np.float64), s - 31).reshape(channel_shape)
        self.bias = b.astype(np.float64).reshape(channel_shape)
        self.has_bias = bool(np.any(b))
        self.zero_point, self.dtype = int(zero_point), dtype
        self.lo, self.hi = clamp_bounds(dtype, clamp_min, clamp_max)
        self.out_dtype = storage_dtype(dtype)
        limit = self._acc_limits(m, 31 - s, b)
        bound = np.broadcast_to(np.inf if acc_bound is None else
                                np.asarray(acc_bound, np.float64), m.shape)
        safe = bound <= limit
        #: channels the float path cannot serve (tiny multiplier or huge bias): int64
        self.int_channels = np.flatnonzero(~safe & (limit < _MIN_LIMIT))
        checked = ~safe & (limit >= _MIN_LIMIT)
        self.acc_limit = float(limit[checked].min()) if checked.any() else np.inf
        self.checked = bool(checked.any())
        self._tiles: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}

    @staticmethod
    def _acc_limits(m: np.ndarray, t: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Per channel, the largest ``|acc|`` with ``(|acc| + |b|)·M + 2^(t − 1) < 2^53``."""
        with np.errstate(divide="ignore"):
            room = (_EXACT - np.ldexp(1.0, t - 1)) / m - np.abs(b) - 1.0
        return np.where(m > 0, np.floor(np.maximum(room, -1.0)), np.inf)

    def apply(self, acc: np.ndarray, out: np.ndarray, work: np.ndarray | None = None
              ) -> np.ndarray:
        """Codes of accumulator tile ``acc`` written into ``out`` (same shape).

        ``work`` is an optional float64 scratch array of ``acc``'s shape.
        """
        if self.checked and acc.size:
            amax = max(float(acc.max()), -float(acc.min()))
            if not amax <= self.acc_limit:
                return self._apply_int(acc, out)
        bias, r = self._params(acc.shape)
        y = work if work is not None else np.empty(acc.shape, np.float64)
        y[...] = acc
        if self.has_bias:
            y += bias
        y *= r
        _round_inplace(y, self.mode)
        if self.zero_point:
            y += self.zero_point
        np.clip(y, self.lo, self.hi, out=y)
        out[...] = y
        if self.int_channels.size:
            self._fix_channels(acc, out)
        return out

    def _fix_channels(self, acc: np.ndarray, out: np.ndarray) -> None:
        """Recompute the int-only channels of a tile on the int64 path."""
        ax = self.axis % acc.ndim
        idx = self.int_channels
        sub = np.take(acc, idx, axis=ax).astype(np.int64)
        sub += np.take(self.bias_int, idx, axis=self.axis)
        codes = requantize(sub, self.multiplier[idx], self.shift[idx], self.zero_point,
                           self.dtype, self.mode, self.lo, self.hi, axis=ax)
        index = [slice(None)] * acc.ndim
        index[ax] = idx
        out[tuple(index)] = codes

    def _params(self, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Bias and multiplier laid out at a tile's full shape, built once per shape:
        NumPy's inner loops run the whole tile then, not one short channel run at a
        time (2-3x faster for channel counts below a few hundred)."""
        got = self._tiles.get(shape)
        if got is None:
            got = (np.ascontiguousarray(np.broadcast_to(self.bias, shape)),
                   np.ascontiguousarray(np.broadcast_to(self.r, shape)))
            if len(self._tiles) < 8:
                self._tiles[shape] = got
        return got

    def _apply_int(self, acc: np.ndarray, out: np.ndarray) -> np.ndarray:
        """The integer path, for tiles whose accumulators exceed the exact float range."""
        a = acc.astype(np.int64) + self.bias_int
        out[...] = requantize(a, self.multiplier, self.shift, self.zero_point, self.dtype,
                              self.mode, self.lo, self.hi, axis=self.axis % a.ndim)
        return out
