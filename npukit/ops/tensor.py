"""Data movement: Concat, Split, Slice, Pad, Trilu, CumSum.

Gather / Scatter live in :mod:`npukit.ops.gather`.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from npukit.errors import ShapeError, UnsupportedOpError
from npukit.ir import Node
from npukit.ops.registry import Op, TensorType, register
from npukit.ops.shape_ops import Consts, Types, arg, const_ints, dtype_of, shape_of
from npukit.ops.shapes import UNKNOWN, norm_axis


@register
class Concat(Op):
    op_type = "Concat"
    versions = (11, 13)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        shapes = [shape_of(t) for t in ins]
        dt = next((t.dtype for t in ins if t and t.dtype), None)
        known = [s for s in shapes if s is not None]
        if not known or len(known) != len(shapes):
            return [TensorType(dt, None)]
        rank = len(known[0])
        if any(len(s) != rank for s in known):
            raise ShapeError(f"Concat {node.name!r}: inputs of different ranks "
                             f"{[list(s) for s in known]}")
        axis = norm_axis(int(node.attr("axis")), rank)
        out: list[Any] = []
        for k in range(rank):
            dims = [s[k] for s in known]
            if k == axis:
                out.append(sum(dims) if all(isinstance(d, int) for d in dims) else UNKNOWN)
            else:
                ints_ = {d for d in dims if isinstance(d, int)}
                if len(ints_) > 1:
                    raise ShapeError(f"Concat {node.name!r}: dim {k} differs: {dims}")
                out.append(ints_.pop() if ints_ else dims[0])
        return [TensorType(dt, tuple(out))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        xs = [x for x in inputs if x is not None]
        axis = norm_axis(int(node.attr("axis")), xs[0].ndim)
        return [np.concatenate(xs, axis=axis)]


def split_sizes(node: Node, dim: Any, split: list[int] | None, n: int) -> list[Any]:
    """Chunk lengths along the axis: the ``split`` input, ``num_outputs`` or equal parts."""
    if split is not None:
        if len(split) != n or (isinstance(dim, int) and sum(split) != dim):
            raise ShapeError(f"Split {node.name!r}: split {split} does not give {n} outputs "
                             f"over a dim of {dim}")
        return list(split)
    if not isinstance(dim, int):
        return [UNKNOWN] * n
    if node.attr("num_outputs") is not None:
        chunk = -(-dim // n)
        return [chunk] * (n - 1) + [dim - chunk * (n - 1)]
    if dim % n:
        raise ShapeError(f"Split {node.name!r}: dim {dim} does not split into {n} equal parts")
    return [dim // n] * n


@register
class Split(Op):
    op_type = "Split"
    versions = (13, 18)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x, n = shape_of(ins[0]), len(node.outputs)
        if x is None or (arg(ins, 1) is not None and arg(consts, 1) is None):
            rank = None if x is None else len(x)
            out = None if rank is None else tuple(
                UNKNOWN if k == norm_axis(int(node.attr("axis", 0)), rank) else d
                for k, d in enumerate(x))  # type: ignore[arg-type]
            return [TensorType(dtype_of(ins[0]), out) for _ in range(n)]
        axis = norm_axis(int(node.attr("axis", 0)), len(x))
        sizes = split_sizes(node, x[axis], const_ints(consts, 1), n)
        return [TensorType(dtype_of(ins[0]), x[:axis] + (s,) + x[axis + 1:]) for s in sizes]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        axis = norm_axis(int(node.attr("axis", 0)), x.ndim)
        s = arg(inputs, 1)
        split = None if s is None else [int(v) for v in s.reshape(-1)]
        sizes = split_sizes(node, x.shape[axis], split, len(node.outputs))
        return np.split(x, np.cumsum(sizes)[:-1], axis=axis)


def slice_spec(node: Node, rank: int, starts: list[int], ends: list[int],
               axes: list[int] | None, steps: list[int] | None) -> list[tuple[int, int, int, int]]:
    """(axis, start, end, step) per sliced axis; clamping follows Python's slice rules,
    which are ONNX's (negative indices counted from the end, then clamped)."""
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise ShapeError(f"Slice {node.name!r}: starts/ends/axes/steps lengths differ")
    if 0 in steps:
        raise ShapeError(f"Slice {node.name!r}: a step is 0")
    return [(norm_axis(a, rank), s, e, st) for a, s, e, st in zip(axes, starts, ends, steps)]


@register
class Slice(Op):
    op_type = "Slice"
    versions = (11, 13)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x, dt = shape_of(ins[0]), dtype_of(ins[0])
        starts, ends = const_ints(consts, 1), const_ints(consts, 2)
        axes, steps = const_ints(consts, 3), const_ints(consts, 4)
        if x is None:
            return [TensorType(dt, None)]
        unknown_opt = any(arg(ins, i) is not None and arg(consts, i) is None for i in (3, 4))
        if starts is None or ends is None or unknown_opt:
            cut = None if axes is None else {norm_axis(a, len(x)) for a in axes}
            return [TensorType(dt, tuple(UNKNOWN if cut is None or k in cut else d
                                         for k, d in enumerate(x)))]
        out = list(x)
        for a, s, e, st in slice_spec(node, len(x), starts, ends, axes, steps):
            d = x[a]
            if isinstance(d, int):
                out[a] = len(range(*slice(s, e, st).indices(d)))
            elif st == 1 and s == 0 and e >= 2**31 - 1:
                out[a] = d
            else:
                out[a] = UNKNOWN
        return [TensorType(dt, tuple(out))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        lst = [None if v is None else [int(t) for t in v.reshape(-1)] for v in
               (arg(inputs, i) for i in range(1, 5))]
        idx: list[slice] = [slice(None)] * x.ndim
        for a, s, e, st in slice_spec(node, x.ndim, lst[0], lst[1], lst[2], lst[3]):  # type: ignore
            idx[a] = slice(s, e, st)
        return [x[tuple(idx)].copy()]


def pad_widths(node: Node, rank: int, pads: list[int], axes: list[int] | None
               ) -> list[tuple[int, int]]:
    axes = list(range(rank)) if axes is None else [norm_axis(a, rank) for a in axes]
    if len(pads) != 2 * len(axes):
        raise ShapeError(f"Pad {node.name!r}: {len(pads)} pads for {len(axes)} axes")
    widths = [(0, 0)] * rank
    for k, a in enumerate(axes):
        widths[a] = (pads[k], pads[len(axes) + k])
    return widths


@register
class Pad(Op):
    op_type = "Pad"
    versions = (19, 21, 23, 24, 25)
    MODES = ("constant", "reflect", "edge", "wrap")

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x, pads, dt = shape_of(ins[0]), const_ints(consts, 1), dtype_of(ins[0])
        has_axes = arg(ins, 3) is not None
        axes = const_ints(consts, 3)
        if x is None:
            return [TensorType(dt, None)]
        if pads is None or (has_axes and axes is None):
            return [TensorType(dt, tuple(UNKNOWN for _ in x))]
        w = pad_widths(node, len(x), pads, axes)
        out = tuple(d + b + e if isinstance(d, int) else (d if b == e == 0 else UNKNOWN)
                    for d, (b, e) in zip(x, w))
        return [TensorType(dt, out)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        mode = node.attr("mode", "constant")
        if mode not in self.MODES:
            raise UnsupportedOpError("Pad", node.name, detail=f"mode {mode!r}")
        ax = arg(inputs, 3)
        w = pad_widths(node, x.ndim, [int(v) for v in inputs[1].reshape(-1)],
                       None if ax is None else [int(a) for a in ax.reshape(-1)])
        # negative pads crop; they apply after the positive ones (ONNX reference order)
        pos = [(max(b, 0), max(e, 0)) for b, e in w]
        if mode == "constant":
            cv = arg(inputs, 2)
            value = 0 if cv is None or cv.size == 0 else cv.reshape(-1)[0]
            y = np.pad(x, pos, mode="constant", constant_values=value)
        else:
            y = np.pad(x, pos, mode=mode)
        crop = tuple(slice(-min(b, 0), y.shape[k] + min(e, 0)) for k, (b, e) in enumerate(w))
        return [y[crop].astype(x.dtype, copy=False)]


@register
class Trilu(Op):
    op_type = "Trilu"
    versions = (14,)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        return [TensorType(dtype_of(ins[0]), shape_of(ins[0]))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, k = inputs[0], arg(inputs, 1)
        k = 0 if k is None else int(k.reshape(-1)[0])
        fn = np.triu if node.attr("upper", 1) else np.tril
        return [fn(x, k)]


@register
class CumSum(Op):
    op_type = "CumSum"
    versions = (11, 14)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        return [TensorType(dtype_of(ins[0]), shape_of(ins[0]))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        axis = norm_axis(int(inputs[1].reshape(-1)[0]), x.ndim)
        rev, excl = bool(node.attr("reverse", 0)), bool(node.attr("exclusive", 0))
        y = np.flip(x, axis) if rev else x
        y = np.cumsum(y, axis=axis, dtype=x.dtype)
        if excl:
            y = np.concatenate([np.zeros_like(np.take(y, [0], axis=axis)),
                                np.take(y, np.arange(y.shape[axis] - 1), axis=axis)], axis)
        return [np.flip(y, axis).copy() if rev else y]


from npukit.ops import gather  # noqa: E402,F401  (registers Gather/Scatter; keeps this file small)

__all__ = ["Concat", "CumSum", "Pad", "Slice", "Split", "Trilu"]
