"""Indexed reads and writes: Gather, GatherElements, GatherND, ScatterElements, ScatterND.

Negative indices count from the end of the indexed axis, as ONNX allows.
Scatter reductions use NumPy's unbuffered ``ufunc.at`` so repeated indices
accumulate; with ``reduction="none"`` a repeated index keeps the last update.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from npukit.errors import ShapeError, UnsupportedOpError
from npukit.ir import Node
from npukit.ops.registry import Op, TensorType, register
from npukit.ops.shape_ops import Consts, Types, dtype_of, shape_of
from npukit.ops.shapes import norm_axis

_REDUCE = {"add": np.add, "mul": np.multiply, "max": np.maximum, "min": np.minimum}


def _wrap(idx: np.ndarray, dim: int | np.ndarray) -> np.ndarray:
    idx = idx.astype(np.int64, copy=False)
    return np.where(idx < 0, idx + dim, idx)


@register
class Gather(Op):
    op_type = "Gather"
    versions = (11, 13)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x, i = shape_of(ins[0]), shape_of(ins[1])
        if x is None or i is None:
            return [TensorType(dtype_of(ins[0]), None)]
        a = norm_axis(int(node.attr("axis", 0)), len(x))
        return [TensorType(dtype_of(ins[0]), x[:a] + i + x[a + 1:])]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, idx = inputs
        a = norm_axis(int(node.attr("axis", 0)), x.ndim)
        return [np.take(x, _wrap(idx, x.shape[a]), axis=a)]


@register
class GatherElements(Op):
    op_type = "GatherElements"
    versions = (11, 13)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        return [TensorType(dtype_of(ins[0]), shape_of(ins[1]))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, idx = inputs
        a = norm_axis(int(node.attr("axis", 0)), x.ndim)
        return [np.take_along_axis(x, _wrap(idx, x.shape[a]), axis=a)]


def _nd_index(data: np.ndarray, idx: np.ndarray, b: int) -> tuple[tuple, tuple]:
    """Advanced-index tuple of GatherND/ScatterND over (batch, M, k) and the result
    shape prefix ``indices.shape[:-1]``."""
    k = idx.shape[-1]
    if b + k > data.ndim:
        raise ShapeError(f"index depth {k} + batch_dims {b} exceeds data rank {data.ndim}")
    nb = int(np.prod(data.shape[:b]))
    flat = _wrap(idx.reshape(nb, -1, k), np.array(data.shape[b:b + k]))
    return (np.arange(nb)[:, None],) + tuple(flat[..., j] for j in range(k)), idx.shape[:-1]


@register
class GatherND(Op):
    op_type = "GatherND"
    versions = (12, 13)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x, i = shape_of(ins[0]), shape_of(ins[1])
        if x is None or i is None or not isinstance(i[-1], int):
            return [TensorType(dtype_of(ins[0]), None)]
        b = int(node.attr("batch_dims", 0))
        return [TensorType(dtype_of(ins[0]), i[:-1] + x[b + i[-1]:])]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, idx = inputs
        b = int(node.attr("batch_dims", 0))
        xb = x.reshape((int(np.prod(x.shape[:b])),) + x.shape[b:])
        ix, lead = _nd_index(x, idx, b)
        y = xb[ix]
        return [y.reshape(lead + x.shape[b + idx.shape[-1]:])]


def _reduction(node: Node) -> Any:
    r = node.attr("reduction", "none")
    if r != "none" and r not in _REDUCE:
        raise UnsupportedOpError(node.op_type, node.name, detail=f"reduction {r!r}")
    return _REDUCE.get(r)


class _SameAsData(Op):
    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        return [TensorType(dtype_of(ins[0]), shape_of(ins[0]))]


@register
class ScatterElements(_SameAsData):
    op_type = "ScatterElements"
    versions = (16, 18)

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, idx, upd = inputs
        a = norm_axis(int(node.attr("axis", 0)), x.ndim)
        grid = list(np.indices(idx.shape, sparse=True))
        grid[a] = _wrap(idx, x.shape[a])
        y, fn = x.copy(), _reduction(node)
        if fn is None:
            y[tuple(grid)] = upd
        else:
            fn.at(y, tuple(grid), upd)
        return [y]


@register
class ScatterND(_SameAsData):
    op_type = "ScatterND"
    versions = (16, 18)

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, idx, upd = inputs
        k = idx.shape[-1]
        y, fn = x.copy(), _reduction(node)
        yb = y.reshape((1,) + x.shape)
        ix, lead = _nd_index(x, idx, 0)
        u = upd.reshape((1, int(np.prod(lead))) + x.shape[k:])
        if fn is None:
            yb[ix] = u
        else:
            fn.at(yb, ix, u)
        return [y]


__all__ = ["Gather", "GatherElements", "GatherND", "ScatterElements", "ScatterND"]
