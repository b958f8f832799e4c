"""Pooling: MaxPool (with Indices), AveragePool, LpPool and their Global forms.

Kernels reduce over a strided sliding-window view of the padded input (no
loop over pixels).  ``ceil_mode`` adds end padding so the last, partial
window exists; that extra padding is never counted by AveragePool, while
explicit pads are counted when ``count_include_pad=1`` (ONNX Runtime and
PyTorch agree on this divisor).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from npukit.errors import ShapeError
from npukit.ir import Node
from npukit.ops.conv import conv_geometry, pad_spatial, windows
from npukit.ops.registry import Op, TensorType, register
from npukit.ops.shape_ops import Consts, Types, dtype_of, shape_of
from npukit.ops.shapes import numel, window_out


def pool_geometry(node: Node, x_shape: tuple) -> tuple[list[int], ...]:
    """(kernel, strides, dilations, pads, out) of a pooling node over ``x_shape``."""
    kernel = [int(k) for k in node.attr("kernel_shape") or []]
    if len(kernel) != len(x_shape) - 2:
        raise ShapeError(f"{node.op_type} {node.name!r}: kernel_shape {kernel} does not fit "
                         f"input {list(x_shape)}")
    k, s, d, p = conv_geometry(node, x_shape, (1, 1, *kernel))
    n, ceil = len(k), bool(node.attr("ceil_mode", 0))
    out = [window_out(x_shape[2 + i], k[i], s[i], d[i], p[i], p[n + i], ceil) for i in range(n)]
    return k, s, d, p, out  # type: ignore[return-value]


def pooled_view(x: np.ndarray, node: Node, fill: Any, explicit_fill: Any = None
                ) -> tuple[np.ndarray, list[int], ...]:
    """Window view (N, C, *out, *k) of ``x`` padded with ``fill`` (explicit pads may use
    ``explicit_fill``; the ceil_mode tail always uses ``fill``), and the geometry."""
    k, s, d, p, out = pool_geometry(node, x.shape)
    n = len(k)
    tail = [max(0, (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1
                - (x.shape[2 + i] + p[i] + p[n + i])) for i in range(n)]
    ef = fill if explicit_fill is None else explicit_fill
    xp = pad_spatial(pad_spatial(x, p, ef), [0] * n + tail, fill)
    win = windows(xp, k, s, d)
    win = win[(slice(None), slice(None)) + tuple(slice(0, o) for o in out)]
    return win, k, s, d, p


def reduce_taps(win: np.ndarray, n: int, fn: np.ufunc) -> np.ndarray:
    """``fn``-reduce the kernel axes of a window view, one vectorised pass per tap
    (several times faster than ``reduce`` over strided kernel axes)."""
    taps = list(np.ndindex(*win.shape[2 + n:]))
    y = np.array(win[(Ellipsis,) + taps[0]])
    for tap in taps[1:]:
        fn(y, win[(Ellipsis,) + tap], out=y)
    return y


class _Pool(Op):
    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x = shape_of(ins[0])
        shape = None if x is None else (x[0], x[1], *pool_geometry(node, x)[4])
        return [TensorType(dtype_of(ins[0]), shape)]

    def macs(self, node: Node, ins: Types, outs: Types) -> int:
        return numel(outs[0].shape if outs and outs[0] else None) * int(
            np.prod(node.attr("kernel_shape") or [1]))


@register
class MaxPool(_Pool):
    op_type = "MaxPool"
    versions = (11, 12, 22)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        y = super().infer(node, ins, consts)[0]
        return [y, TensorType("int64", y.shape)][:len(node.outputs)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        win, k, s, d, p = pooled_view(x, node, low)
        n = len(k)
        y = reduce_taps(win, n, np.maximum)
        if len(node.outputs) < 2 or not node.outputs[1]:
            return [y]
        return [y, self._indices(node, x.shape, win, k, s, d, p)]

    @staticmethod
    def _indices(node: Node, shape: tuple, win: np.ndarray, k: list[int], s: list[int],
                 d: list[int], p: list[int]) -> np.ndarray:
        """Flat input index of each maximum (row-major, or column-major over the spatial
        dims with ``storage_order=1``), over the whole N·C·spatial tensor."""
        n = len(k)
        flat = win.reshape(win.shape[:2 + n] + (-1,))
        taps = np.unravel_index(flat.argmax(axis=-1), k)
        sp = shape[2:]
        idx = np.zeros(flat.shape[:-1], np.int64)
        order = range(n) if not node.attr("storage_order", 0) else reversed(range(n))
        for i in order:
            o = np.arange(flat.shape[2 + i]).reshape((-1,) + (1,) * (n - 1 - i))
            coord = o * s[i] - p[i] + taps[i] * d[i]
            idx = idx * sp[i] + coord
        nc = np.arange(shape[0] * shape[1]).reshape(shape[0], shape[1], *([1] * n))
        return idx + nc * int(np.prod(sp))


@register
class AveragePool(_Pool):
    op_type = "AveragePool"
    versions = (19, 22)

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        n = x.ndim - 2
        win = pooled_view(x, node, 0)[0]
        total = reduce_taps(win, n, np.add)
        ones = np.ones((1, 1) + x.shape[2:], x.dtype)
        include = 1 if node.attr("count_include_pad", 0) else 0
        count = reduce_taps(pooled_view(ones, node, 0, include)[0], n, np.add)
        return [(total / np.maximum(count, 1)).astype(x.dtype, copy=False)]


@register
class LpPool(_Pool):
    op_type = "LpPool"
    versions = (18, 22)

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        p = float(node.attr("p", 2))
        win = pooled_view(np.abs(x) ** p, node, 0)[0]
        y = reduce_taps(win, x.ndim - 2, np.add) ** (1.0 / p)
        return [y.astype(x.dtype, copy=False)]


class _Global(Op):
    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x = shape_of(ins[0])
        shape = None if x is None else (x[0], x[1]) + (1,) * (len(x) - 2)
        return [TensorType(dtype_of(ins[0]), shape)]

    def reduce(self, node: Node, x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        y = self.reduce(node, x, tuple(range(2, x.ndim)))
        return [np.asarray(y).astype(x.dtype, copy=False)]

    def macs(self, node: Node, ins: Types, outs: Types) -> int:
        return numel(ins[0].shape if ins and ins[0] else None)


@register
class GlobalAveragePool(_Global):
    op_type = "GlobalAveragePool"
    versions = (1, 22)

    def reduce(self, node: Node, x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        return x.mean(axis=axes, keepdims=True)


@register
class GlobalMaxPool(_Global):
    op_type = "GlobalMaxPool"
    versions = (1, 22)

    def reduce(self, node: Node, x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        return x.max(axis=axes, keepdims=True)


@register
class GlobalLpPool(_Global):
    op_type = "GlobalLpPool"
    versions = (2, 22)

    def reduce(self, node: Node, x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        p = float(node.attr("p", 2))
        return (np.abs(x) ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)


__all__ = ["AveragePool", "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool", "LpPool",
           "MaxPool", "pool_geometry", "pooled_view"]
