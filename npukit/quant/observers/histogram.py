"""A fixed-size streaming histogram whose range grows by exact re-binning.

Bins sit on a lattice anchored at zero: bin ``j`` holds ``[j*w, (j+1)*w)``
(``j`` may be negative) and the histogram keeps ``bins`` consecutive lattice
bins starting at ``origin``.  When a batch falls outside, the window slides
or, if the data no longer fits, the width doubles ``k`` times: every old bin
then lies inside exactly one new bin (``j -> j >> k``), so re-binning loses
nothing — the counts equal a one-shot histogram on the final lattice.  Memory
is ``bins`` counters however much data is seen (ONNX Runtime instead grows the
bin count; PyTorch re-bins approximately).

Indices are computed in float32 as ``floor(x * inv_width) - origin``: scaling
by a power of two is exact, so the same float maps to the same lattice bin before
and after a coarsening, and the index is monotone in ``x`` so the batch min
and max bound every element's bin.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from npukit.errors import NpukitError
from npukit.quant.observers.base import Observer, Range, as_float, finite_minmax

# |lattice index| stays below 2**10 * bins <= 2**23: float32 holds it exactly.
_REL_FLOOR = 2.0 ** -10
_HUGE = 1 << 62
MAX_BINS = 1 << 13


class HistogramObserver(Observer):
    """Base of the histogram observers: collects; subclasses choose the clip range."""

    name = "histogram"

    def __init__(self, bins: int = 2048) -> None:
        if not 16 <= bins <= MAX_BINS:
            raise NpukitError(f"a histogram observer needs 16..{MAX_BINS} bins, got {bins}")
        super().__init__()
        self.bins = bins
        self.counts = np.zeros(bins, dtype=np.int64)
        self.inv_width = np.float32(0.0)
        self.origin = 0
        self.lo = float("inf")
        self.hi = float("-inf")

    def options(self) -> dict[str, Any]:
        return {"bins": self.bins}

    @property
    def width(self) -> float:
        return 1.0 / float(self.inv_width)

    def edges(self) -> np.ndarray:
        """The ``bins + 1`` bin edges of the current window (float64)."""
        return (self.origin + np.arange(self.bins + 1, dtype=np.float64)) * self.width

    def _index(self, v: float, inv: np.float32) -> int:
        with np.errstate(over="ignore"):
            p = float(np.float32(np.float32(v) * inv))
        if not math.isfinite(p):
            return _HUGE if p > 0 else -_HUGE
        return math.floor(p)

    def _start(self, lo: float, hi: float) -> None:
        span = max(hi - lo, max(abs(lo), abs(hi)) * _REL_FLOOR, 2.0 ** -60)
        # bins - 2: floor() of both ends may add one bin each
        width = span / (self.bins - 2)
        self.inv_width = np.float32(2.0 ** math.floor(math.log2(1.0 / width)))
        self.origin = self._index(lo, self.inv_width)

    def _fit(self, lo: float, hi: float) -> None:
        """Slide and/or coarsen the window so that ``[lo, hi]`` and all old counts fit."""
        occupied = np.flatnonzero(self.counts)
        k = 0
        while True:
            inv = np.float32(self.inv_width / np.float32(2.0 ** k))
            jlo, jhi = self._index(lo, inv), self._index(hi, inv)
            if occupied.size:
                jlo = min(jlo, (self.origin + int(occupied[0])) >> k)
                jhi = max(jhi, (self.origin + int(occupied[-1])) >> k)
            if jhi - jlo < self.bins:
                break
            k += 1
        base = self.origin >> k
        if jlo >= base and jhi < base + self.bins:
            new_origin = base
        else:
            new_origin = jlo if jlo < base else jhi - self.bins + 1
        if k == 0 and new_origin == self.origin:
            return
        target = ((self.origin + occupied) >> k) - new_origin
        self.counts = np.bincount(target, weights=self.counts[occupied],
                                  minlength=self.bins).astype(np.int64)
        self.inv_width, self.origin = inv, new_origin

    def update(self, x: np.ndarray) -> None:
        x = as_float(x)
        if x.size == 0:
            return
        lo, hi = finite_minmax(x, self.name)
        if self.batches == 0:
            self._start(lo, hi)
        if (self._index(lo, self.inv_width) < self.origin
                or self._index(hi, self.inv_width) >= self.origin + self.bins):
            self._fit(lo, hi)
        y = x * self.inv_width
        np.floor(y, out=y)                  # before the shift: y - origin may round up
        y -= np.float32(self.origin)
        self.counts += np.bincount(y.astype(np.intp).ravel(), minlength=self.bins)
        self.lo, self.hi = min(self.lo, lo), max(self.hi, hi)
        self.batches += 1

    def merge(self, other: Any) -> None:
        """Add ``other``'s counts, placing each of its bins at its centre.

        Exact when both lattices agree; otherwise within one bin of the coarser.
        """
        if not self._check_merge(other):
            return
        if self.batches == 0:
            self._start(other.lo, other.hi)
        self._fit(other.lo, other.hi)
        nz = np.flatnonzero(other.counts)
        centres = (other.origin + nz + 0.5) * other.width
        idx = np.floor(centres * float(self.inv_width)).astype(np.int64) - self.origin
        idx = np.clip(idx, 0, self.bins - 1)
        self.counts += np.bincount(idx, weights=other.counts[nz],
                                   minlength=self.bins).astype(np.int64)
        self.lo, self.hi = min(self.lo, other.lo), max(self.hi, other.hi)
        self.batches += other.batches

    # ---- views used by the clip-range searches ------------------------------
    def abs_histogram(self) -> tuple[np.ndarray, float]:
        """Counts of ``|x|`` on ``[0, n*w')`` (folded at zero, exact) and the width ``w'``.

        Coarsened by powers of two so that at most ``bins`` bins remain.
        """
        j = self.origin + np.arange(self.bins, dtype=np.int64)
        a = np.where(j >= 0, j, -j - 1)
        k = 0
        while (int(a.max()) >> k) >= self.bins:
            k += 1
        folded = np.bincount(a >> k, weights=self.counts, minlength=1)
        return folded.astype(np.float64), self.width * 2.0 ** k

    def signed(self, max_bins: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Counts (float64) and edges of the window, merged by powers of two (exactly)
        down to at most ``max_bins`` bins."""
        k = 0
        while max_bins is not None and (self.bins >> k) + 1 > max_bins:
            k += 1
        if k == 0:
            return self.counts.astype(np.float64), self.edges()
        j = (self.origin + np.arange(self.bins, dtype=np.int64)) >> k
        counts = np.bincount(j - j[0], weights=self.counts)
        edges = (j[0] + np.arange(counts.size + 1)) * (self.width * 2.0 ** k)
        return counts, edges

    def range(self) -> Range:
        """Plain histogram observer: the exact min/max (subclasses clip)."""
        self._need_data()
        return self.lo, self.hi

    def clip(self, t: float) -> Range:
        """The data range cut at ``|x| <= t`` (the scheme makes it symmetric if it must)."""
        lo, hi = max(self.lo, -t), min(self.hi, t)
        if lo > hi:     # t fell (within a bin) below all the data of a one-sided tensor
            lo, hi = (lo, lo) if self.lo >= 0 else (hi, hi)
        return lo, hi

    def two_sided(self) -> bool:
        return self.lo < 0.0 < self.hi
