"""Broadcast a per-channel parameter along one axis of a tensor."""

from __future__ import annotations

import numpy as np

from npukit.errors import ShapeError


def along(param: np.ndarray | float | int, ndim: int, axis: int | None) -> np.ndarray:
    """``param`` reshaped so it broadcasts along ``axis`` of an ``ndim``-d tensor.

    With ``axis=None`` the parameter must already broadcast (a scalar for
    per-tensor use).  A 1-D parameter with an axis becomes shape
    ``(1, …, C, …, 1)``; a scalar is returned as is.
    """
    p = np.asarray(param)
    if axis is None or p.ndim == 0:
        return p
    if p.ndim != 1:
        raise ShapeError(f"per-channel parameter must be 1-D, got shape {p.shape}")
    if not -ndim <= axis < ndim:
        raise ShapeError(f"axis {axis} out of range for a {ndim}-d tensor")
    shape = [1] * ndim
    shape[axis % ndim] = p.size
    return p.reshape(shape)
