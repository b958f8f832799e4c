"""Fused forms made by the graph optimiser, and the ``npukit::Swish`` op.

A Conv / Gemm / MatMul may carry an npukit attribute ``activation``
(``"Relu"``, ``"Clip"``, ``"LeakyRelu"``, ``"Sigmoid"``, ``"HardSwish"``) with
``activation_params`` (Clip: ``[min, max]``; LeakyRelu: ``[alpha]``); its
float kernel ends with :func:`apply_activation`.  ONNX export expands both
back to standard ops (``frontends/onnx/exporter.py``).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from npukit.errors import UnsupportedOpError
from npukit.ir import Node
from npukit.ops.base import Unary
from npukit.ops.registry import register


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function without overflow warnings: 0.5·(1 + tanh(x/2))."""
    half = np.asarray(0.5, x.dtype)
    return half * (np.tanh(x * half) + np.asarray(1, x.dtype))


def _clip(x: np.ndarray, p: Sequence[float]) -> np.ndarray:
    lo = p[0] if len(p) > 0 else -np.inf
    hi = p[1] if len(p) > 1 else np.inf
    return np.clip(x, np.asarray(lo, x.dtype), np.asarray(hi, x.dtype))


def _leaky(x: np.ndarray, p: Sequence[float]) -> np.ndarray:
    alpha = np.asarray(p[0] if p else 0.01, x.dtype)
    return np.where(x >= 0, x, x * alpha)


def _hardswish(x: np.ndarray, p: Sequence[float]) -> np.ndarray:
    hs = np.clip(x * np.asarray(1 / 6, x.dtype) + np.asarray(0.5, x.dtype), 0, 1)
    return x * hs.astype(x.dtype)


ACTIVATIONS: dict[str, Callable[[np.ndarray, Sequence[float]], np.ndarray]] = {
    "Relu": lambda x, p: np.maximum(x, np.zeros((), x.dtype)),
    "Clip": _clip,
    "LeakyRelu": _leaky,
    "Sigmoid": lambda x, p: sigmoid(x),
    "HardSwish": _hardswish,
}


def apply_activation(node: Node, y: np.ndarray) -> np.ndarray:
    """``y`` after the node's fused activation (unchanged when it has none)."""
    act = node.attrs.get("activation")
    if not act:
        return y
    fn = ACTIVATIONS.get(str(act))
    if fn is None:
        raise UnsupportedOpError(node.op_type, node.name,
                                 detail=f"unknown fused activation {act!r}; known: "
                                        f"{sorted(ACTIVATIONS)}")
    params = [float(v) for v in node.attrs.get("activation_params", [])]
    return np.asarray(fn(y, params)).astype(y.dtype, copy=False)


@register
class Swish(Unary):
    """``x · sigmoid(alpha · x)`` (ONNX has Swish only from opset 24)."""

    op_type = "Swish"
    domain = "npukit"
    versions = (1,)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        alpha = float(node.attr("alpha", 1.0))
        return x * sigmoid(x * np.asarray(alpha, x.dtype) if alpha != 1.0 else x)


__all__ = ["ACTIVATIONS", "Swish", "apply_activation", "sigmoid"]
