"""Per-channel running min/max, for weights (one range per output channel)."""

from __future__ import annotations

from typing import Any

import numpy as np

from npukit.errors import NpukitError
from npukit.quant.observers.base import Observer, as_float, finite_minmax


def channel_minmax(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Min and max over every axis but ``axis``: two float64 arrays of length C."""
    if not -x.ndim <= axis < x.ndim:
        raise NpukitError(f"channel axis {axis} is out of range for a tensor of shape "
                          f"{list(x.shape)}")
    moved = np.moveaxis(x, axis, 0).reshape(x.shape[axis], -1)
    if moved.shape[1] == 0:
        raise NpukitError(f"tensor of shape {list(x.shape)} has no elements per channel")
    return moved.min(axis=1).astype(np.float64), moved.max(axis=1).astype(np.float64)


class PerChannelMinMaxObserver(Observer):
    """Min and max per slice along ``axis`` (0 for Conv/Gemm-transB weights).

    ``range()`` returns two arrays ``(lo[C], hi[C])`` instead of two floats.
    """

    name = "per_channel_minmax"

    def __init__(self, axis: int = 0) -> None:
        super().__init__()
        self.axis = axis
        self.lo: np.ndarray | None = None
        self.hi: np.ndarray | None = None

    def options(self) -> dict[str, Any]:
        return {"axis": self.axis}

    def update(self, x: np.ndarray) -> None:
        x = as_float(x)
        if x.size == 0:
            return
        finite_minmax(x, self.name)
        lo, hi = channel_minmax(x, self.axis)
        if self.lo is None or self.hi is None:
            self.lo, self.hi = lo, hi
        elif lo.shape != self.lo.shape:
            raise NpukitError(f"observer {self.name!r}: {lo.size} channels along axis "
                              f"{self.axis}, earlier batches had {self.lo.size}")
        else:
            self.lo, self.hi = np.minimum(self.lo, lo), np.maximum(self.hi, hi)
        self.batches += 1

    def range(self) -> tuple[np.ndarray, np.ndarray]:
        self._need_data()
        assert self.lo is not None and self.hi is not None
        return self.lo.copy(), self.hi.copy()

    def merge(self, other: Any) -> None:
        if not self._check_merge(other):
            return
        if self.lo is None or self.hi is None:
            self.lo, self.hi, self.batches = other.lo.copy(), other.hi.copy(), other.batches
            return
        if other.lo.shape != self.lo.shape:
            raise NpukitError(f"cannot merge per-channel ranges of {other.lo.size} and "
                              f"{self.lo.size} channels")
        self.lo, self.hi = np.minimum(self.lo, other.lo), np.maximum(self.hi, other.hi)
        self.batches += other.batches
