"""Clip at a percentile of the data, read from the streaming histogram."""

from __future__ import annotations

from typing import Any

import numpy as np

from npukit.errors import NpukitError
from npukit.quant.observers.base import Range
from npukit.quant.observers.histogram import HistogramObserver


def histogram_quantile(counts: np.ndarray, edges: np.ndarray, q: float) -> float:
    """The ``q``-quantile (0..1) of histogrammed data, interpolating inside the bin.

    Assumes values spread evenly inside a bin, so it is within one bin width of
    the exact quantile.  A quantile in the first or last occupied bin returns
    that bin's outer edge, which callers replace by the exact min / max (a
    ReLU's spike at 0 must give 0, not a fraction of a bin).
    """
    cdf = np.cumsum(counts)
    target = q * cdf[-1]
    b = int(np.searchsorted(cdf, target, side="left"))
    b = min(b, counts.size - 1)
    while counts[b] == 0 and b + 1 < counts.size:
        b += 1
    occupied = np.flatnonzero(counts)
    if b == occupied[0] and q < 0.5:
        return float(edges[b])
    if b == occupied[-1] and q > 0.5:
        return float(edges[b + 1])
    below = cdf[b] - counts[b]
    frac = 0.0 if counts[b] == 0 else (target - below) / counts[b]
    frac = min(max(frac, 0.0), 1.0)
    return float(edges[b] + frac * (edges[b + 1] - edges[b]))


class PercentileObserver(HistogramObserver):
    """Range from the ``percentile``-th percentile.

    Asymmetric (default): ``(P[100 - p], P[p])`` of the signed data.  Symmetric:
    ``t = P[p]`` of ``|x|`` (ONNX Runtime's convention), giving ``±t`` cut to the data.
    """

    name = "percentile"

    def __init__(self, percentile: float = 99.99, symmetric: bool = False,
                 bins: int = 2048) -> None:
        if not 50.0 < percentile <= 100.0:
            raise NpukitError(f"percentile must be in (50, 100], got {percentile}")
        super().__init__(bins)
        self.percentile = percentile
        self.symmetric = symmetric

    def options(self) -> dict[str, Any]:
        return {"percentile": self.percentile, "symmetric": self.symmetric, "bins": self.bins}

    def range(self) -> Range:
        self._need_data()
        q = self.percentile / 100.0
        if q >= 1.0:
            return self.lo, self.hi
        if self.symmetric:
            h, w = self.abs_histogram()
            t = histogram_quantile(h, np.arange(h.size + 1) * w, q)
            return self.clip(t)
        counts, edges = self.signed()
        lo = histogram_quantile(counts, edges, 1.0 - q)
        hi = histogram_quantile(counts, edges, q)
        return max(self.lo, lo), min(self.hi, hi)
