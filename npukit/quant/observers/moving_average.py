"""Exponential moving average of per-batch min and max (PyTorch/TF QAT style)."""

from __future__ import annotations

from typing import Any

import numpy as np

from npukit.errors import NpukitError
from npukit.quant.observers.base import Observer, Range, as_float, finite_minmax


class MovingAverageMinMaxObserver(Observer):
    """``lo += c * (batch_min - lo)``; the first batch sets the range outright.

    Less sensitive than :class:`MinMaxObserver` to one outlier batch; the result
    depends on batch order.
    """

    name = "moving_minmax"

    def __init__(self, averaging_constant: float = 0.01) -> None:
        if not 0.0 < averaging_constant <= 1.0:
            raise NpukitError(f"averaging_constant must be in (0, 1], got {averaging_constant}")
        super().__init__()
        self.averaging_constant = averaging_constant
        self.lo = 0.0
        self.hi = 0.0

    def options(self) -> dict[str, Any]:
        return {"averaging_constant": self.averaging_constant}

    def update(self, x: np.ndarray) -> None:
        x = as_float(x)
        if x.size == 0:
            return
        lo, hi = finite_minmax(x, self.name)
        if self.batches == 0:
            self.lo, self.hi = lo, hi
        else:
            c = self.averaging_constant
            self.lo += c * (lo - self.lo)
            self.hi += c * (hi - self.hi)
        self.batches += 1

    def range(self) -> Range:
        self._need_data()
        return self.lo, self.hi
