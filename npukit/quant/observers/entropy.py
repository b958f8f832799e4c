"""KL-divergence (entropy) calibration, after TensorRT's INT8 entropy calibrator.

For each candidate threshold ``i`` (in bins of the ``|x|`` histogram) the
reference distribution P is the first ``i`` bins with the clipped tail added to
the last one; Q is those ``i`` bins merged into ``qbins`` quantization bins and
spread back evenly over their non-empty bins.  The threshold with the smallest
KL(P || Q) wins.  ``qbins`` is half the levels when the range is symmetric or
the data two-sided (TensorRT's 128 for int8), all the levels otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npukit.errors import NpukitError
from npukit.quant.observers.base import Range
from npukit.quant.observers.histogram import HistogramObserver

_EPS = 1e-6


def kl_divergence(h: np.ndarray, i: int, qbins: int) -> float:
    """KL(P || Q) for keeping the first ``i`` bins of ``h`` quantized to ``qbins`` bins."""
    kept = h[:i]
    kept_total = kept.sum()
    if kept_total <= 0:
        return float("inf")
    p = kept.copy()
    p[-1] += h[i:].sum()
    g = (np.arange(i) * qbins) // i
    nz = kept > 0
    gsum = np.bincount(g, weights=kept, minlength=qbins)
    gcnt = np.bincount(g, weights=nz, minlength=qbins)
    q = np.where(nz, gsum[g] / np.maximum(gcnt[g], 1.0), 0.0)
    p /= p.sum()
    q /= kept_total
    m = p > 0
    return float(np.sum(p[m] * np.log(p[m] / np.maximum(q[m], _EPS))))


def kl_threshold(h: np.ndarray, qbins: int, stride: int = 0) -> int:
    """The number of ``|x|`` bins to keep; ``h.size`` means no clipping.

    ``stride`` 0 picks a coarse step (about 256 candidates) then refines the
    best one bin at a time; 1 tries every candidate.
    """
    n = h.size
    if n <= qbins:
        return n
    step = stride or max(1, (n - qbins) // 256)
    cands = list(range(qbins, n + 1, step))
    if cands[-1] != n:
        cands.append(n)
    best = min(cands, key=lambda i: kl_divergence(h, i, qbins))
    if step > 1:
        fine = range(max(qbins, best - step + 1), min(n, best + step - 1) + 1)
        best = min(fine, key=lambda i: kl_divergence(h, i, qbins))
    return best


class EntropyObserver(HistogramObserver):
    """Clip range minimising KL divergence between float and quantized histograms.

    ``levels`` is the number of integer levels (256 for 8 bit, 65536 for 16 bit);
    when the quantization bins outnumber the histogram bins nothing is clipped.
    """

    name = "kl"

    def __init__(self, levels: int = 256, symmetric: bool = True, bins: int = 2048,
                 stride: int = 0) -> None:
        if levels < 4:
            raise NpukitError(f"levels must be at least 4, got {levels}")
        super().__init__(bins)
        self.levels, self.symmetric, self.stride = levels, symmetric, stride

    def options(self) -> dict[str, Any]:
        return {"levels": self.levels, "symmetric": self.symmetric, "bins": self.bins,
                "stride": self.stride}

    def range(self) -> Range:
        self._need_data()
        h, w = self.abs_histogram()
        nz = np.flatnonzero(h)
        h = h[: int(nz[-1]) + 1]
        qbins = self.levels // 2 if self.symmetric or self.two_sided() else self.levels
        i = kl_threshold(h, qbins, self.stride)
        if i >= h.size:
            return self.lo, self.hi
        return self.clip(i * w)
