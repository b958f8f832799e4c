"""Reductions (opset-18 form: ``axes`` is an optional int64 input) and ArgMax/ArgMin.

A reduction is ``post(reduce(pre(x), axes))``.  Empty ``axes`` reduces every
axis, unless ``noop_with_empty_axes`` is set: then the reduction runs over no
axis, so ``pre``/``post`` still apply (ReduceSumSquare gives x², ReduceL1 |x|),
as ONNX Runtime and the ONNX reference do.  Reducing an empty set gives the
reduction's identity (0, 1, −inf for ReduceMax / ReduceLogSum …).  Integer
inputs stay integer (sums wrap like C; ReduceMean truncates toward zero; the
mean of an empty set is 0, as in ONNX Runtime).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from npukit.errors import ShapeError
from npukit.ir import Node
from npukit.ops.elementwise import int_div
from npukit.ops.registry import Op, TensorType, register
from npukit.ops.shapes import UNKNOWN, norm_axis


def reduce_shape(shape: tuple, axes: Sequence[int] | None, keepdims: bool) -> tuple:
    """Output shape of reducing ``axes`` (None = all) of ``shape``."""
    rank = len(shape)
    red = set(range(rank)) if axes is None else {norm_axis(a, rank, "axes") for a in axes}
    if keepdims:
        return tuple(1 if i in red else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in red)


class _Reduce(Op):
    """Base of the Reduce* ops; subclasses set ``pre`` / ``combine`` / ``post``."""

    def axes(self, node: Node, axes: np.ndarray | None, rank: int) -> tuple[int, ...] | None:
        """Axes to reduce: a tuple (maybe empty = none), or None for all."""
        if axes is None and node.attr("axes") is not None:  # pre-opset-18 spelling
            axes = np.asarray(node.attr("axes"))
        if axes is None or np.asarray(axes).size == 0:
            return () if node.attr("noop_with_empty_axes", 0) else None
        return tuple(sorted({norm_axis(int(a), rank, "axes") for a in np.ravel(axes)}))

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        t = ins[0]
        dtype = t.dtype if t else None
        if t is None or t.shape is None:
            return [TensorType(dtype, None)]
        keep = bool(node.attr("keepdims", 1))
        dynamic = len(node.inputs) > 1 and bool(node.inputs[1]) and consts[1] is None
        if dynamic:
            return [TensorType(dtype, (UNKNOWN,) * len(t.shape) if keep else None)]
        axes = self.axes(node, consts[1] if len(consts) > 1 else None, len(t.shape))
        return [TensorType(dtype, reduce_shape(tuple(t.shape), axes, keep))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        axes = self.axes(node, inputs[1] if len(inputs) > 1 else None, x.ndim)
        keep = bool(node.attr("keepdims", 1))
        xw = x.astype(np.float32) if x.dtype == np.float16 else x  # accumulate f16 in f32
        with np.errstate(all="ignore"):
            y = self.post(self.combine(self.pre(xw), axes, keep, xw.dtype), xw.dtype)
        return [np.asarray(y).astype(x.dtype, copy=False)]

    def pre(self, x: np.ndarray) -> np.ndarray:
        return x

    def combine(self, x: np.ndarray, axes: tuple[int, ...] | None, keep: bool,
                dtype: np.dtype) -> np.ndarray:
        return np.sum(x, axis=axes, keepdims=keep, dtype=dtype)

    def post(self, y: np.ndarray, dtype: np.dtype) -> np.ndarray:
        return y


@register
class ReduceSum(_Reduce):
    op_type = "ReduceSum"
    versions = (13,)


@register
class ReduceMean(_Reduce):
    op_type = "ReduceMean"
    versions = (18,)

    def combine(self, x: np.ndarray, axes: tuple[int, ...] | None, keep: bool,
                dtype: np.dtype) -> np.ndarray:
        s = np.sum(x, axis=axes, keepdims=keep, dtype=dtype)
        n = int(np.prod([x.shape[a] for a in (range(x.ndim) if axes is None else axes)]))
        n = max(n, 1)  # ONNX leaves the mean of an empty set undefined; ORT gives 0
        if dtype.kind in "iu":
            return int_div(np.asarray(s), np.asarray(n, dtype))
        return s / np.asarray(n, dtype)


@register
class ReduceProd(_Reduce):
    op_type = "ReduceProd"
    versions = (18,)

    def combine(self, x: np.ndarray, axes: tuple[int, ...] | None, keep: bool,
                dtype: np.dtype) -> np.ndarray:
        return np.prod(x, axis=axes, keepdims=keep, dtype=dtype)


class _Extreme(_Reduce):
    """ReduceMax / ReduceMin; an empty set gives the dtype's lowest / highest value."""

    ufunc: np.ufunc

    def identity(self, dtype: np.dtype) -> Any:
        raise NotImplementedError

    def combine(self, x: np.ndarray, axes: tuple[int, ...] | None, keep: bool,
                dtype: np.dtype) -> np.ndarray:
        f = type(self).ufunc
        if axes == ():
            return x.copy()
        return f.reduce(x, axis=axes, keepdims=keep, initial=self.identity(dtype))


@register
class ReduceMax(_Extreme):
    op_type = "ReduceMax"
    versions = (18, 20)
    ufunc = np.maximum

    def identity(self, dtype: np.dtype) -> Any:
        if dtype.kind == "b":
            return False
        return np.iinfo(dtype).min if dtype.kind in "iu" else -np.inf


@register
class ReduceMin(_Extreme):
    op_type = "ReduceMin"
    versions = (18, 20)
    ufunc = np.minimum

    def identity(self, dtype: np.dtype) -> Any:
        if dtype.kind == "b":
            return True
        return np.iinfo(dtype).max if dtype.kind in "iu" else np.inf


@register
class ReduceL1(_Reduce):
    op_type = "ReduceL1"
    versions = (18,)

    def pre(self, x: np.ndarray) -> np.ndarray:
        return np.abs(x)


@register
class ReduceSumSquare(_Reduce):
    op_type = "ReduceSumSquare"
    versions = (18,)

    def pre(self, x: np.ndarray) -> np.ndarray:
        return x * x


@register
class ReduceL2(ReduceSumSquare):
    op_type = "ReduceL2"
    versions = (18,)

    def post(self, y: np.ndarray, dtype: np.dtype) -> np.ndarray:
        return np.sqrt(y)


@register
class ReduceLogSum(_Reduce):
    op_type = "ReduceLogSum"
    versions = (18, 28)

    def post(self, y: np.ndarray, dtype: np.dtype) -> np.ndarray:
        return np.log(y)


@register
class ReduceLogSumExp(_Reduce):
    """``m + log Σ exp(x − m)`` with ``m`` the (finite) max, so large inputs do not overflow."""

    op_type = "ReduceLogSumExp"
    versions = (18, 28)

    def combine(self, x: np.ndarray, axes: tuple[int, ...] | None, keep: bool,
                dtype: np.dtype) -> np.ndarray:
        if x.dtype.kind != "f":
            x = x.astype(np.float64)
        m = np.max(x, axis=axes, keepdims=True, initial=-np.inf) if axes != () else x
        m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
        y = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        if not keep:
            y = np.squeeze(y, axis=axes)
        return y


class _Arg(Op):
    """Index (int64) of the first — or with ``select_last_index`` the last — extreme."""

    find: Any

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        t = ins[0]
        if t is None or t.shape is None:
            return [TensorType("int64", None)]
        axis = norm_axis(int(node.attr("axis", 0)), len(t.shape))
        return [TensorType("int64", reduce_shape(tuple(t.shape), [axis],
                                                 bool(node.attr("keepdims", 1))))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        axis = norm_axis(int(node.attr("axis", 0)), x.ndim)
        if x.ndim and x.shape[axis] == 0:
            raise ShapeError(f"{node.op_type} {node.name!r}: axis {axis} is empty")
        f = type(self).find
        if node.attr("select_last_index", 0):
            idx = x.shape[axis] - 1 - f(np.flip(x, axis), axis=axis)
        else:
            idx = f(x, axis=axis)
        if node.attr("keepdims", 1):
            idx = np.expand_dims(idx, axis)
        return [np.asarray(idx, np.int64)]


@register
class ArgMax(_Arg):
    op_type = "ArgMax"
    versions = (12, 13)
    find = staticmethod(np.argmax)


@register
class ArgMin(_Arg):
    op_type = "ArgMin"
    versions = (12, 13)
    find = staticmethod(np.argmin)
