"""Type changes and generated tensors: Cast, CastLike, ConstantOfShape, Range, Identity,
Dropout (inference), TopK, EyeLike, OneHot, NonZero, Einsum.

The ops layer does not import onnx, so ONNX element-type numbers (Cast's
``to``, EyeLike's ``dtype``) are mapped here.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from npukit.errors import ShapeError, UnsupportedOpError
from npukit.ir import Node, dtype_name
from npukit.ops.registry import Op, TensorType, register
from npukit.ops.shape_ops import Consts, Types, arg, const_ints, dtype_of, shape_of
from npukit.ops.shapes import UNKNOWN, broadcast, norm_axis, numel

# TensorProto.DataType numbers NumPy can hold (bfloat16 / float8 / int4 it cannot)
ONNX_DTYPES = {1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32",
               7: "int64", 8: "str", 9: "bool", 10: "float16", 11: "float64", 12: "uint32",
               13: "uint64"}


def onnx_type(node: Node, code: int) -> str:
    if int(code) not in ONNX_DTYPES:
        raise UnsupportedOpError(node.op_type, node.name, detail=f"element type {code} has no "
                                 "NumPy equivalent (bfloat16, float8, int4 …)")
    return ONNX_DTYPES[int(code)]


def cast_to(x: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "str":
        flat = [str(v) if not isinstance(v, (bytes, np.bytes_)) else v.decode()
                for v in x.reshape(-1).tolist()]
        return np.array(flat, dtype=object).reshape(x.shape)
    if x.dtype == object:
        return np.array([float(v) for v in x.reshape(-1)]).astype(dtype).reshape(x.shape)
    return x.astype(dtype)


class _Passthrough(Op):
    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        return [TensorType(dtype_of(ins[0]), shape_of(ins[0]))]


@register
class Cast(Op):
    op_type = "Cast"
    versions = (19, 21, 23, 24, 25, 28)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        return [TensorType(onnx_type(node, node.attr("to")), shape_of(ins[0]))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        return [cast_to(inputs[0], onnx_type(node, node.attr("to")))]


@register
class CastLike(Op):
    op_type = "CastLike"
    versions = (19, 21, 23, 24, 25)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        return [TensorType(dtype_of(ins[1]), shape_of(ins[0]))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        return [cast_to(inputs[0], dtype_name(inputs[1].dtype))]


@register
class Identity(_Passthrough):
    op_type = "Identity"
    versions = (13, 14, 16, 19, 21, 23, 24, 25)

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        return [inputs[0]]


@register
class Dropout(Op):
    """Inference only: identity, mask all true.  Training mode (a true ``training_mode``
    input) is refused rather than run without its randomness."""

    op_type = "Dropout"
    versions = (13, 22)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        t = TensorType(dtype_of(ins[0]), shape_of(ins[0]))
        return [t, TensorType("bool", t.shape)][:len(node.outputs)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, ratio, train = inputs[0], arg(inputs, 1), arg(inputs, 2)
        if train is not None and bool(train) and (ratio is None or float(ratio) != 0.0):
            raise UnsupportedOpError("Dropout", node.name, detail="training_mode=true",
                                     hint="export the model in eval mode")
        return [x, np.ones(x.shape, dtype=bool)][:len(node.outputs)]


@register
class ConstantOfShape(Op):
    op_type = "ConstantOfShape"
    versions = (9, 20, 21, 23, 24, 25)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        dims = const_ints(consts, 0)
        if dims is None:
            s = shape_of(ins[0])
            shape = None if s is None or not isinstance(s[0], int) else (UNKNOWN,) * s[0]
        else:
            shape = tuple(dims)
        return [TensorType(dtype_name(self._value(node).dtype), shape)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        v = self._value(node)
        return [np.full([int(d) for d in inputs[0].reshape(-1)], v.reshape(-1)[0], v.dtype)]

    @staticmethod
    def _value(node: Node) -> np.ndarray:
        v = node.attr("value")
        return np.zeros(1, np.float32) if v is None else np.asarray(v)


def range_len(start: Any, limit: Any, delta: Any) -> int:
    return max(int(math.ceil((float(limit) - float(start)) / float(delta))), 0)


@register
class Range(Op):
    op_type = "Range"
    versions = (11, 27)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        c = [arg(consts, i) for i in range(3)]
        n = UNKNOWN if any(v is None for v in c) else range_len(*(v.item() for v in c))
        return [TensorType(dtype_of(ins[0]), (n,))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        start, limit, delta = (v.item() for v in inputs[:3])
        n = range_len(start, limit, delta)
        dt = inputs[0].dtype
        if dt.kind in "iu":
            return [(start + np.arange(n, dtype=np.int64) * delta).astype(dt)]
        return [(np.float64(start) + np.arange(n) * np.float64(delta)).astype(dt)]


@register
class TopK(Op):
    """Ties go to the lower index, as ONNX specifies; ``sorted=0`` also returns sorted."""

    op_type = "TopK"
    versions = (11, 24)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x, k = shape_of(ins[0]), const_ints(consts, 1)
        if x is None:
            return [TensorType(dtype_of(ins[0]), None), TensorType("int64", None)]
        a = norm_axis(int(node.attr("axis", -1)), len(x))
        out = x[:a] + (UNKNOWN if k is None else k[0],) + x[a + 1:]
        return [TensorType(dtype_of(ins[0]), out), TensorType("int64", out)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, k = inputs[0], int(inputs[1].reshape(-1)[0])
        a = norm_axis(int(node.attr("axis", -1)), x.ndim)
        n = x.shape[a]
        if not 0 <= k <= n:
            raise ShapeError(f"TopK {node.name!r}: k={k} but axis {a} has {n} elements")
        if node.attr("largest", 1):
            # stable ascending sort of the reversed axis, reversed: descending with ties
            # in ascending index order, without negating (unsigned / min-int safe)
            order = np.flip(np.argsort(np.flip(x, a), axis=a, kind="stable"), a)
            order = n - 1 - order
        else:
            order = np.argsort(x, axis=a, kind="stable")
        idx = np.take(order, np.arange(k), axis=a).astype(np.int64)
        return [np.take_along_axis(x, idx, axis=a), idx]


@register
class EyeLike(Op):
    op_type = "EyeLike"
    versions = (9, 22)

    def _dtype(self, node: Node, t: str | None) -> str | None:
        d = node.attr("dtype")
        return t if d is None else onnx_type(node, d)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        return [TensorType(self._dtype(node, dtype_of(ins[0])), shape_of(ins[0]))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        dt = self._dtype(node, dtype_name(x.dtype))
        return [np.eye(x.shape[0], x.shape[1], int(node.attr("k", 0)), dtype=dt)]


@register
class OneHot(Op):
    op_type = "OneHot"
    versions = (11, 28)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x, depth = shape_of(ins[0]), arg(consts, 1)
        dt = dtype_of(arg(ins, 2))
        if x is None:
            return [TensorType(dt, None)]
        a = norm_axis(int(node.attr("axis", -1)), len(x) + 1)
        d = UNKNOWN if depth is None else int(np.asarray(depth).reshape(-1)[0])
        return [TensorType(dt, x[:a] + (d,) + x[a:])]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        idx, depth, values = inputs
        depth = int(depth.reshape(-1)[0])
        a = norm_axis(int(node.attr("axis", -1)), idx.ndim + 1)
        idx = idx.astype(np.int64)
        idx = np.where(idx < 0, idx + depth, idx)
        shape = [1] * (idx.ndim + 1)
        shape[a] = depth
        hot = np.expand_dims(idx, a) == np.arange(depth).reshape(shape)
        return [np.where(hot, values[1], values[0]).astype(values.dtype)]


@register
class NonZero(Op):
    op_type = "NonZero"
    versions = (9, 13)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x = shape_of(ins[0])
        return [TensorType("int64", None if x is None else (max(len(x), 1), UNKNOWN))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        if x.ndim == 0:  # a scalar is read as one element, as ONNX Runtime does
            return [np.zeros((1, int(bool(x))), np.int64)]
        return [np.array(np.nonzero(x), dtype=np.int64).reshape(x.ndim, -1)]


def einsum_dims(node: Node, shapes: list[tuple | None]) -> tuple[dict[str, Any], str] | None:
    """Size of every subscript (``"."`` = the broadcast ellipsis dims, as a tuple) and the
    output subscripts; None when a shape is unknown."""
    eq = str(node.attr("equation")).replace(" ", "").replace("...", ".")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ShapeError(f"Einsum {node.name!r}: {len(terms)} terms for {len(shapes)} inputs")
    if any(s is None for s in shapes):
        return None
    dims: dict[str, Any] = {".": ()}
    for t, s in zip(terms, shapes):
        n_ell = len(s) - len(t) + 1 if "." in t else 0  # type: ignore[arg-type]
        k = t.find(".")
        if k >= 0:
            dims["."] = broadcast(dims["."], tuple(s[k:k + n_ell]))  # type: ignore[index]
        letters = t.replace(".", "")
        sizes = list(s[:k]) + list(s[k + n_ell:]) if k >= 0 else list(s)  # type: ignore
        for c, d in zip(letters, sizes):
            old = dims.get(c)
            if old is None or old == 1 or (not isinstance(old, int) and isinstance(d, int)):
                dims[c] = d
    if not arrow:
        rhs = ("." if "." in lhs else "") + "".join(
            sorted(c for c in dims if c != "." and lhs.count(c) == 1))
    return dims, rhs


@register
class Einsum(Op):
    op_type = "Einsum"
    versions = (12, 28)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        got = einsum_dims(node, [shape_of(t) for t in ins])
        if got is None:
            return [TensorType(dtype_of(ins[0]), None)]
        dims, rhs = got
        out = [d for c in rhs for d in (dims["."] if c == "." else (dims[c],))]
        return [TensorType(dtype_of(ins[0]), tuple(out))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        dt = inputs[0].dtype
        if dt.kind not in "fiub":  # bfloat16 (ml_dtypes) has no einsum loop: go via float32
            inputs = [a.astype(np.float32) for a in inputs]
        return [np.asarray(np.einsum(str(node.attr("equation")), *inputs)).astype(dt, copy=False)]

    def macs(self, node: Node, ins: Types, outs: Types) -> int:
        got = einsum_dims(node, [shape_of(t) for t in ins])
        if got is None or len(ins) < 2:
            return 0
        sizes = [d for c, v in got[0].items() for d in (v if c == "." else (v,))]
        return numel(tuple(sizes))


__all__ = ["Cast", "CastLike", "ConstantOfShape", "Dropout", "EyeLike", "Einsum", "Identity",
           "NonZero", "OneHot", "Range", "TopK", "ONNX_DTYPES"]
