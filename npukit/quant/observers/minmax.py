"""Running minimum and maximum: the simplest range, exact under streaming."""

from __future__ import annotations

from typing import Any

import numpy as np

from npukit.quant.observers.base import Observer, Range, as_float, finite_minmax


class MinMaxObserver(Observer):
    """The smallest and largest value ever seen (RKNN's ``normal``, ORT's ``MinMax``)."""

    name = "minmax"

    def __init__(self) -> None:
        super().__init__()
        self.lo = float("inf")
        self.hi = float("-inf")

    def update(self, x: np.ndarray) -> None:
        x = as_float(x)
        if x.size == 0:
            return
        lo, hi = finite_minmax(x, self.name)
        self.lo, self.hi = min(self.lo, lo), max(self.hi, hi)
        self.batches += 1

    def range(self) -> Range:
        self._need_data()
        return self.lo, self.hi

    def merge(self, other: Any) -> None:
        if self._check_merge(other):
            self.lo, self.hi = min(self.lo, other.lo), max(self.hi, other.hi)
            self.batches += other.batches
