"""Elementwise arithmetic and math (float kernels; integer types where ONNX allows them).

Results keep the first input's dtype.  Integer ``Div`` truncates toward zero
and integer arithmetic wraps, as in C (what ONNX Runtime does).  Floating
point exceptions (x/0, log of a negative) give inf / NaN silently.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from npukit.ir import Node
from npukit.ops.base import Binary, Unary
from npukit.ops.registry import Op, TensorType, register
from npukit.ops.shapes import broadcast


class _Unary(Unary):
    """``Unary`` whose kernel ``fn(x)`` is a ufunc, run with FP warnings off."""

    ufunc: Callable[[np.ndarray], np.ndarray]

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        return type(self).ufunc(x)

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        with np.errstate(all="ignore"):
            return super().run(node, inputs)


class _Binary(Binary):
    """``Binary`` whose kernel ``fn(a, b)`` is a ufunc, run with FP warnings off."""

    ufunc: Callable[[np.ndarray, np.ndarray], np.ndarray]

    def fn(self, node: Node, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return type(self).ufunc(a, b)

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        with np.errstate(all="ignore"):
            return super().run(node, inputs)


def _unary(name: str, ufunc: Callable, versions: tuple[int, ...]) -> type[Op]:
    cls = type(name, (_Unary,), {"op_type": name, "versions": versions,
                                 "ufunc": staticmethod(ufunc), "__module__": __name__})
    return register(cls)


def _binary(name: str, ufunc: Callable, versions: tuple[int, ...]) -> type[Op]:
    cls = type(name, (_Binary,), {"op_type": name, "versions": versions,
                                  "ufunc": staticmethod(ufunc), "__module__": __name__})
    return register(cls)


def _reciprocal(x: np.ndarray) -> np.ndarray:
    return np.reciprocal(x) if x.dtype.kind == "f" else 1 / x


Add = _binary("Add", np.add, (7, 13, 14))
Sub = _binary("Sub", np.subtract, (7, 13, 14))
Mul = _binary("Mul", np.multiply, (7, 13, 14))

Sqrt = _unary("Sqrt", np.sqrt, (6, 13))
Exp = _unary("Exp", np.exp, (6, 13))
Log = _unary("Log", np.log, (6, 13))
Neg = _unary("Neg", np.negative, (6, 13))
Abs = _unary("Abs", np.abs, (6, 13))
Reciprocal = _unary("Reciprocal", _reciprocal, (6, 13))
Floor = _unary("Floor", np.floor, (6, 13))
Ceil = _unary("Ceil", np.ceil, (6, 13))
Round = _unary("Round", np.round, (11, 22))  # np.round rounds half to even, as ONNX
Sign = _unary("Sign", np.sign, (9, 13))
Sin = _unary("Sin", np.sin, (7, 22))
Cos = _unary("Cos", np.cos, (7, 22))


def int_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integer division truncating toward zero (C semantics); x / 0 gives 0."""
    q = np.floor_divide(a, b)
    if a.dtype.kind == "i" or np.asarray(b).dtype.kind == "i":
        r = a - q * b
        q = q + ((r != 0) & ((a < 0) != (b < 0)) & (b != 0)).astype(q.dtype)
    return q


@register
class Div(_Binary):
    op_type = "Div"
    versions = (7, 13, 14)

    def fn(self, node: Node, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.dtype.kind in "iu":
            return int_div(a, b)
        return np.true_divide(a, b)


@register
class Pow(_Binary):
    """``a ** b``; the exponent may have another type.  Integer bases: exact integer
    power for non-negative integer exponents, else the float64 power truncated."""

    op_type = "Pow"
    versions = (7, 12, 13, 15)

    def fn(self, node: Node, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.dtype.kind == "f":
            return np.power(a, b.astype(a.dtype, copy=False))
        if b.dtype.kind in "iu" and not (b < 0).any():
            return np.power(a, b.astype(a.dtype, copy=False))
        return np.trunc(np.power(a.astype(np.float64), b.astype(np.float64)))


@register
class Mod(_Binary):
    """``fmod=0``: remainder with the divisor's sign (Python ``%``, also for floats since
    opset 28); ``fmod=1``: C ``fmod``, the dividend's sign."""

    op_type = "Mod"
    versions = (10, 13, 28)

    def fn(self, node: Node, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.fmod(a, b) if node.attr("fmod", 0) else np.mod(a, b)


@register
class BitShift(_Binary):
    """Shifts of ``direction`` LEFT / RIGHT; right shifts of signed types are arithmetic.
    A shift amount outside [0, bits) gives 0 (−1 for a right shift of a negative value):
    NumPy's shift ufuncs define exactly the opset-28 rule."""

    op_type = "BitShift"
    versions = (11, 28)

    def fn(self, node: Node, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        b = b.astype(a.dtype, copy=False)
        if node.attr("direction", "") == "LEFT":
            return np.left_shift(a, b)
        return np.right_shift(a, b)


class _Predicate(_Unary):
    """Elementwise test with a bool result."""

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        t = ins[0]
        return [TensorType("bool", t.shape if t else None)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        return [np.asarray(self.fn(node, inputs[0]), bool)]


@register
class IsNaN(_Predicate):
    op_type = "IsNaN"
    versions = (9, 13, 20)
    ufunc = staticmethod(np.isnan)


@register
class IsInf(_Predicate):
    op_type = "IsInf"
    versions = (10, 20)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        pos, neg = node.attr("detect_positive", 1), node.attr("detect_negative", 1)
        return np.isinf(x) & (((x > 0) & bool(pos)) | ((x < 0) & bool(neg)))


class _Variadic(Op):
    """n-ary elementwise op with multidirectional broadcasting over all inputs."""

    ufunc: Callable[[np.ndarray, np.ndarray], np.ndarray]

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        dtype = next((t.dtype for t in ins if t is not None and t.dtype), None)
        return [TensorType(dtype, broadcast(*[t.shape if t else None for t in ins]))]

    def combine(self, node: Node, xs: Sequence[np.ndarray]) -> np.ndarray:
        return functools.reduce(type(self).ufunc, xs)

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        xs = [x for x in inputs if x is not None]
        dt = xs[0].dtype
        with np.errstate(all="ignore"):
            y = self.combine(node, xs) if len(xs) > 1 else xs[0].copy()
            y = np.broadcast_to(y, np.broadcast_shapes(*[x.shape for x in xs]))
        return [np.array(y, dt)]


@register
class Max(_Variadic):
    op_type = "Max"
    versions = (8, 12, 13)
    ufunc = staticmethod(np.maximum)


@register
class Min(_Variadic):
    op_type = "Min"
    versions = (8, 12, 13)
    ufunc = staticmethod(np.minimum)


@register
class Sum(_Variadic):
    op_type = "Sum"
    versions = (8, 13)
    ufunc = staticmethod(np.add)


@register
class Mean(_Variadic):
    op_type = "Mean"
    versions = (8, 13)
    ufunc = staticmethod(np.add)

    def combine(self, node: Node, xs: Sequence[np.ndarray]) -> np.ndarray:
        total = functools.reduce(np.add, xs)
        return total / np.asarray(len(xs), total.dtype)

