"""Clip range minimising the expected quantization MSE over the histogram.

Error model (per bin, at its centre ``c``): values inside the clip range get
uniform rounding noise ``step**2 / 12``; values outside cost ``(c - bound)**2``.
With prefix/suffix sums every candidate costs O(1): the symmetric search is
over ``|x|`` thresholds, the asymmetric one over every (lo, hi) pair of bin
edges around zero at once (at most ``(bins/2)**2`` pairs).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npukit.errors import NpukitError
from npukit.quant.observers.base import Range
from npukit.quant.observers.histogram import HistogramObserver

_MAX_2D_BINS = 2048      # the (lo, hi) search holds at most (this / 2)**2 candidates


def _tail_sums(n: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sums of n, n*c, n*c**2 over bins ``b >= t`` for t = 0..len (suffix sums)."""
    def suffix(v: np.ndarray) -> np.ndarray:
        return np.concatenate([np.cumsum(v[::-1])[::-1], [0.0]])
    return suffix(n), suffix(n * c), suffix(n * c * c)


def mse_threshold(h: np.ndarray, w: float, steps: int) -> int:
    """Best number of ``|x|`` bins to keep (``h.size`` = no clipping) for ``steps`` steps."""
    c = (np.arange(h.size) + 0.5) * w
    s0, s1, s2 = _tail_sums(h, c)
    t = np.arange(1, h.size + 1)
    edge = t * w
    clip_err = s2[t] - 2 * edge * s1[t] + edge ** 2 * s0[t]
    noise = (edge / steps) ** 2 / 12 * (s0[0] - s0[t])
    return int(t[np.argmin(clip_err + noise)])


def mse_range(counts: np.ndarray, edges: np.ndarray, steps: int) -> tuple[int, int]:
    """Best (lo, hi) edge indices, lo at or below zero and hi at or above it."""
    c = 0.5 * (edges[:-1] + edges[1:])
    z = int(np.argmin(np.abs(edges)))
    s0, s1, s2 = _tail_sums(counts, c)
    p0, p1, p2 = s0[0] - s0, s1[0] - s1, s2[0] - s2          # sums over bins b < t
    li = np.arange(0, z + 1)
    ri = np.arange(z, edges.size)
    el, er = edges[li], edges[ri]
    left = p2[li] - 2 * el * p1[li] + el ** 2 * p0[li]
    right = s2[ri] - 2 * er * s1[ri] + er ** 2 * s0[ri]
    inside = s0[0] - p0[li][:, None] - s0[ri][None, :]
    step = (er[None, :] - el[:, None]) / steps
    err = left[:, None] + right[None, :] + step ** 2 / 12 * inside
    err[step <= 0] = np.inf
    a, b = np.unravel_index(int(np.argmin(err)), err.shape)
    return int(li[a]), int(ri[b])


class MseObserver(HistogramObserver):
    """Clip range with the least expected quantization MSE for ``levels`` levels."""

    name = "mse"

    def __init__(self, levels: int = 256, symmetric: bool = False, bins: int = 2048) -> None:
        if levels < 4:
            raise NpukitError(f"levels must be at least 4, got {levels}")
        super().__init__(bins)
        self.levels, self.symmetric = levels, symmetric

    def options(self) -> dict[str, Any]:
        return {"levels": self.levels, "symmetric": self.symmetric, "bins": self.bins}

    def range(self) -> Range:
        self._need_data()
        if self.symmetric or not self.two_sided():
            h, w = self.abs_histogram()
            nz = np.flatnonzero(h)
            h = h[: int(nz[-1]) + 1]
            steps = self.levels // 2 - 1 if self.symmetric else self.levels - 1
            t = mse_threshold(h, w, steps)
            return (self.lo, self.hi) if t >= h.size else self.clip(t * w)
        counts, edges = self.signed(max_bins=_MAX_2D_BINS)
        nz = np.flatnonzero(counts)
        lo_i, hi_i = mse_range(counts, edges, self.levels - 1)
        lo = self.lo if lo_i <= nz[0] else max(self.lo, float(edges[lo_i]))
        hi = self.hi if hi_i >= nz[-1] + 1 else min(self.hi, float(edges[hi_i]))
        return lo, hi
