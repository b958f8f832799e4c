"""Shape manipulation: Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Expand, Tile,
Shape, Size.

Where the output shape depends on a data input (Reshape's ``shape``, Tile's
``repeats`` …) ``infer`` reads it when it is a constant and otherwise gives
unknown dims (``"?"``) or an unknown rank (``None``), never a guess.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from npukit.errors import ShapeError
from npukit.ir import Node
from npukit.ops.base import ints
from npukit.ops.registry import Op, TensorType, register
from npukit.ops.shapes import UNKNOWN, broadcast, norm_axis, static

Types = Sequence[TensorType | None]
Consts = Sequence[np.ndarray | None]


def arg(seq: Sequence[Any], i: int) -> Any:
    """``seq[i]`` or None when the optional input is absent."""
    return seq[i] if i < len(seq) else None


def const_ints(consts: Consts, i: int) -> list[int] | None:
    """A constant integer input as a flat list, or None when it is not constant."""
    c = arg(consts, i)
    return None if c is None else [int(v) for v in np.asarray(c).reshape(-1)]


def dtype_of(t: TensorType | None) -> str | None:
    return t.dtype if t else None


def shape_of(t: TensorType | None) -> tuple | None:
    return None if t is None or t.shape is None else tuple(t.shape)


def prod(dims: Sequence[Any]) -> Any:
    """Product of dims; a lone symbolic dim (times 1s) is kept, other symbolic products
    are UNKNOWN; 1 for an empty product."""
    rest = [d for d in dims if d != 1]
    if len(rest) == 1 and not isinstance(rest[0], int):
        return rest[0]
    n = 1
    for d in dims:
        if not isinstance(d, int):
            return UNKNOWN
        n *= d
    return n


def reshape_target(in_shape: tuple, target: Sequence[int], allowzero: bool) -> tuple:
    """Resolve ONNX Reshape's 0 (copy) and -1 (infer) over a possibly symbolic shape."""
    out: list[Any] = []
    for k, d in enumerate(target):
        if d == 0 and not allowzero:
            if k >= len(in_shape):
                raise ShapeError(f"Reshape: 0 at position {k} but the input has rank "
                                 f"{len(in_shape)}")
            out.append(in_shape[k])
        else:
            out.append(int(d))
    if out.count(-1) > 1:
        raise ShapeError(f"Reshape: more than one -1 in {list(target)}")
    if -1 in out:
        k = out.index(-1)
        ins, rest_dims = list(in_shape), out[:k] + out[k + 1:]
        for d in list(rest_dims):  # the same symbol on both sides cancels
            if not isinstance(d, int) and d != UNKNOWN and d in ins:
                ins.remove(d)
                rest_dims.remove(d)
        total, rest = prod(ins), prod(rest_dims)
        if isinstance(total, int) and isinstance(rest, int):
            if rest == 0 or total % rest:
                raise ShapeError(f"Reshape: cannot reshape {list(in_shape)} to {list(target)}")
            out[k] = total // rest
        else:  # N·a / a = N when one symbol is left and the known parts cancel
            sym = [d for d in ins if not isinstance(d, int)]
            known = prod([d for d in ins if isinstance(d, int)])
            out[k] = sym[0] if len(sym) == 1 and known == rest and sym[0] != UNKNOWN \
                else UNKNOWN
    elif static(in_shape) and static(tuple(out)) and prod(in_shape) != prod(out):
        raise ShapeError(f"Reshape: cannot reshape {list(in_shape)} to {list(target)}")
    return tuple(out)


@register
class Reshape(Op):
    op_type = "Reshape"
    versions = (14, 19, 21, 23, 24, 25)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x, target = shape_of(ins[0]), const_ints(consts, 1)
        if target is not None and x is not None:
            out = reshape_target(x, target, bool(node.attr("allowzero", 0)))
        elif target is not None:
            out = tuple(d if d > 0 or (d == 0 and node.attr("allowzero", 0)) else UNKNOWN
                        for d in target)
        else:
            s = shape_of(ins[1])
            out = (UNKNOWN,) * s[0] if s and isinstance(s[0], int) else None  # type: ignore
        return [TensorType(dtype_of(ins[0]), out)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, target = inputs[0], [int(v) for v in inputs[1].reshape(-1)]
        return [x.reshape(reshape_target(x.shape, target, bool(node.attr("allowzero", 0))))]


@register
class Flatten(Op):
    op_type = "Flatten"
    versions = (11, 13, 21, 23, 24, 25)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x = shape_of(ins[0])
        if x is None:
            return [TensorType(dtype_of(ins[0]), None)]
        a = self._axis(node, len(x))
        return [TensorType(dtype_of(ins[0]), (prod(x[:a]), prod(x[a:])))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        a = self._axis(node, x.ndim)
        return [x.reshape(int(np.prod(x.shape[:a])), int(np.prod(x.shape[a:])))]

    @staticmethod
    def _axis(node: Node, rank: int) -> int:
        a = int(node.attr("axis", 1))
        if not -rank <= a <= rank:
            raise ShapeError(f"Flatten {node.name!r}: axis {a} out of range for rank {rank}")
        return a + rank if a < 0 else a


@register
class Transpose(Op):
    op_type = "Transpose"
    versions = (1, 13, 21, 23, 24, 25)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x = shape_of(ins[0])
        if x is None:
            return [TensorType(dtype_of(ins[0]), None)]
        return [TensorType(dtype_of(ins[0]), tuple(x[p] for p in self._perm(node, len(x))))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        return [np.transpose(inputs[0], self._perm(node, inputs[0].ndim))]

    @staticmethod
    def _perm(node: Node, rank: int) -> list[int]:
        perm = ints(node, "perm") or list(range(rank))[::-1]
        if sorted(p % rank if rank else p for p in perm) != list(range(rank)):
            raise ShapeError(f"Transpose {node.name!r}: perm {perm} is not a permutation of "
                             f"rank {rank}")
        return [p % rank for p in perm]


@register
class Squeeze(Op):
    op_type = "Squeeze"
    versions = (13, 21, 23, 24, 25)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x, axes = shape_of(ins[0]), const_ints(consts, 1)
        dt = dtype_of(ins[0])
        if x is None:
            return [TensorType(dt, None)]
        if arg(ins, 1) is None:
            if not static(x):
                return [TensorType(dt, None)]  # a symbolic dim may or may not be 1
            return [TensorType(dt, tuple(d for d in x if d != 1))]
        if axes is None:
            return [TensorType(dt, None)]
        drop = {norm_axis(a, len(x)) for a in axes}
        for a in drop:
            if isinstance(x[a], int) and x[a] != 1:
                raise ShapeError(f"Squeeze {node.name!r}: dim {a} of {list(x)} is not 1")
        return [TensorType(dt, tuple(d for k, d in enumerate(x) if k not in drop))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, axes = inputs[0], arg(inputs, 1)
        if axes is None:
            return [np.squeeze(x)]
        return [np.squeeze(x, axis=tuple(norm_axis(int(a), x.ndim) for a in axes.reshape(-1)))]


def unsqueeze_shape(x: tuple, axes: Sequence[int]) -> tuple:
    rank = len(x) + len(axes)
    pos = sorted(norm_axis(a, rank) for a in axes)
    if len(set(pos)) != len(pos):
        raise ShapeError(f"Unsqueeze: repeated axes {list(axes)}")
    it = iter(x)
    return tuple(1 if k in pos else next(it) for k in range(rank))


@register
class Unsqueeze(Op):
    op_type = "Unsqueeze"
    versions = (13, 21, 23, 24, 25)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x, axes = shape_of(ins[0]), const_ints(consts, 1)
        out = None if x is None or axes is None else unsqueeze_shape(x, axes)
        return [TensorType(dtype_of(ins[0]), out)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        return [x.reshape(unsqueeze_shape(x.shape, [int(a) for a in inputs[1].reshape(-1)]))]


@register
class Expand(Op):
    op_type = "Expand"
    versions = (8, 13)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x, target = shape_of(ins[0]), const_ints(consts, 1)
        if target is None:
            s = shape_of(ins[1])
            if s is None or not isinstance(s[0], int):
                return [TensorType(dtype_of(ins[0]), None)]
            target = [UNKNOWN] * s[0]  # type: ignore[list-item]
        return [TensorType(dtype_of(ins[0]), broadcast(x, tuple(target)))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, target = inputs[0], tuple(int(v) for v in inputs[1].reshape(-1))
        return [np.broadcast_to(x, np.broadcast_shapes(x.shape, target)).copy()]


@register
class Tile(Op):
    op_type = "Tile"
    versions = (6, 13)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x, reps = shape_of(ins[0]), const_ints(consts, 1)
        if x is None:
            return [TensorType(dtype_of(ins[0]), None)]
        if reps is None:
            return [TensorType(dtype_of(ins[0]), (UNKNOWN,) * len(x))]
        if len(reps) != len(x):
            raise ShapeError(f"Tile {node.name!r}: {len(reps)} repeats for rank {len(x)}")
        out = tuple(d * r if isinstance(d, int) else (d if r == 1 else UNKNOWN)
                    for d, r in zip(x, reps))
        return [TensorType(dtype_of(ins[0]), out)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        return [np.tile(inputs[0], [int(r) for r in inputs[1].reshape(-1)])]


def shape_range(node: Node, rank: int) -> tuple[int, int]:
    start, end = int(node.attr("start", 0)), node.attr("end")
    end = rank if end is None else int(end)
    start = min(max(start + rank if start < 0 else start, 0), rank)
    end = min(max(end + rank if end < 0 else end, 0), rank)
    return start, max(end, start)


@register
class Shape(Op):
    op_type = "Shape"
    versions = (15, 19, 21, 23, 24, 25)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x = shape_of(ins[0])
        if x is None:
            return [TensorType("int64", (UNKNOWN,))]
        s, e = shape_range(node, len(x))
        return [TensorType("int64", (e - s,))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        s, e = shape_range(node, inputs[0].ndim)
        return [np.array(inputs[0].shape[s:e], dtype=np.int64)]


@register
class Size(Op):
    op_type = "Size"
    versions = (13, 19, 21, 23, 24, 25)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        return [TensorType("int64", ())]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        return [np.array(inputs[0].size, dtype=np.int64)]


__all__ = ["Expand", "Flatten", "Reshape", "Shape", "Size", "Squeeze", "Tile", "Transpose",
           "Unsqueeze", "arg", "const_ints", "dtype_of", "prod", "reshape_target", "shape_of"]
