"""Elementwise activations (float kernels).

Kernels compute in the input's dtype (``Unary.run`` casts back); ``erf`` is
computed in float64 because NumPy has no ``erf`` and the series below needs
the headroom.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from npukit.ir import Node
from npukit.ops.base import Unary
from npukit.ops.registry import Op, TensorType, register


def erf(x: np.ndarray, precise: bool = True) -> np.ndarray:
    """Error function without SciPy, in float64: to ~1e-15, or ~1e-10 (ample for a
    float32 result, and twice as fast) with ``precise=False``.

    |x| < 2: ``erf x = 2/√π · x · e^{-x²} · Σ (2x²)ⁿ / (3·5···(2n+1))`` (positive terms,
    no cancellation; Horner form, in place); |x| ≥ 2: the continued fraction of
    ``erfc``.  Each runs a fixed number of vectorised steps on its own elements.
    """
    x = np.asarray(x, np.float64)
    a = np.abs(x)
    out = np.empty_like(a)
    low = a < 2.0
    s = a[low]
    c = 2.0 * s * s
    acc = np.ones_like(s)
    for n in range(30 if precise else 22, 0, -1):
        acc *= c
        acc *= 1.0 / (2 * n + 1)
        acc += 1.0
    out[low] = (2.0 / math.sqrt(math.pi)) * s * np.exp(-0.5 * c) * acc
    b = a[~low]
    frac = b.copy()
    for k in range(60 if precise else 30, 0, -1):
        frac = b + (k / 2.0) / frac
    out[~low] = 1.0 - np.exp(-b * b) / math.sqrt(math.pi) / frac
    return np.copysign(out, x)


def _f(node: Node, key: str, default: float, x: np.ndarray) -> np.ndarray:
    """A float attribute as a scalar of ``x``'s dtype (keeps float16/32 arithmetic)."""
    return np.asarray(float(node.attr(key, default)), x.dtype if x.dtype.kind == "f"
                      else np.float64)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


@register
class Relu(Unary):
    op_type = "Relu"
    versions = (6, 13, 14)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, np.zeros((), x.dtype))


@register
class LeakyRelu(Unary):
    op_type = "LeakyRelu"
    versions = (6, 16)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        return np.where(x >= 0, x, x * _f(node, "alpha", 0.01, x))


@register
class PRelu(Op):
    """``y = x if x ≥ 0 else slope · x``; slope broadcasts unidirectionally to x."""

    op_type = "PRelu"
    versions = (7, 9, 16)

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        t = ins[0]
        return [TensorType(t.dtype if t else None, t.shape if t else None)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, slope = inputs
        return [np.where(x >= 0, x, x * slope).astype(x.dtype, copy=False)]


@register
class Clip(Op):
    """``min(max(x, lo), hi)`` with optional ``lo`` / ``hi`` inputs (so lo > hi gives hi)."""

    op_type = "Clip"
    versions = (11, 12, 13)

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        t = ins[0]
        return [TensorType(t.dtype if t else None, t.shape if t else None)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        lo = inputs[1] if len(inputs) > 1 else None
        hi = inputs[2] if len(inputs) > 2 else None
        y = x
        if lo is not None:
            y = np.maximum(y, np.asarray(lo, x.dtype))
        if hi is not None:
            y = np.minimum(y, np.asarray(hi, x.dtype))
        return [y.copy() if y is x else y.astype(x.dtype, copy=False)]


@register
class Sigmoid(Unary):
    op_type = "Sigmoid"
    versions = (6, 13)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        return _sigmoid(x)


@register
class HardSigmoid(Unary):
    op_type = "HardSigmoid"
    versions = (6, 22)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        y = x * _f(node, "alpha", 0.2, x) + _f(node, "beta", 0.5, x)
        return np.clip(y, 0, 1)


@register
class HardSwish(Unary):
    """``x · HardSigmoid(x)`` with alpha = 1/6, beta = 0.5."""

    op_type = "HardSwish"
    versions = (14, 22)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        return x * np.clip(x * np.asarray(1 / 6, x.dtype) + np.asarray(0.5, x.dtype), 0, 1)


@register
class Tanh(Unary):
    op_type = "Tanh"
    versions = (6, 13)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)


@register
class Erf(Unary):
    op_type = "Erf"
    versions = (9, 13)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        return erf(x, precise=x.dtype.itemsize > 4)


@register
class Gelu(Unary):
    """``approximate="none"``: x·Φ(x) through erf; ``"tanh"``: the tanh approximation."""

    op_type = "Gelu"
    versions = (20,)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        if node.attr("approximate", "none") == "tanh":
            inner = math.sqrt(2 / math.pi) * (x + np.asarray(0.044715, x.dtype) * x ** 3)
            return 0.5 * x * (1 + np.tanh(inner.astype(x.dtype, copy=False)))
        xd = x.astype(np.float64)
        return 0.5 * xd * (1 + erf(xd / math.sqrt(2), precise=x.dtype.itemsize > 4))


@register
class Elu(Unary):
    op_type = "Elu"
    versions = (6, 22)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.where(x > 0, x, _f(node, "alpha", 1.0, x) * np.expm1(np.minimum(x, 0)))


@register
class Selu(Unary):
    op_type = "Selu"
    versions = (6, 22)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        alpha = _f(node, "alpha", 1.67326319217681884765625, x)
        gamma = _f(node, "gamma", 1.05070102214813232421875, x)
        return gamma * np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0)) - alpha)


@register
class Softplus(Unary):
    op_type = "Softplus"
    versions = (1, 22)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        return np.logaddexp(np.zeros((), x.dtype), x)


@register
class Softsign(Unary):
    op_type = "Softsign"
    versions = (1, 22)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        return x / (1 + np.abs(x))


@register
class Mish(Unary):
    op_type = "Mish"
    versions = (18, 22)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        return x * np.tanh(np.logaddexp(np.zeros((), x.dtype), x))


@register
class Celu(Unary):
    op_type = "Celu"
    versions = (12, 28)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        alpha = _f(node, "alpha", 1.0, x)
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha))


@register
class ThresholdedRelu(Unary):
    op_type = "ThresholdedRelu"
    versions = (10, 22)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        return np.where(x > _f(node, "alpha", 1.0, x), x, np.zeros((), x.dtype))


@register
class Swish(Unary):
    op_type = "Swish"
    versions = (24,)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        return x * _sigmoid(x * _f(node, "alpha", 1.0, x))
