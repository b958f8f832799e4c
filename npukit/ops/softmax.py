"""Softmax, LogSoftmax and Hardmax over one axis (opset-13 semantics).

Softmax subtracts the max along the axis first, so large logits do not
overflow; LogSoftmax is ``x − max − log Σ exp(x − max)``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from npukit.ir import Node
from npukit.ops.base import Unary
from npukit.ops.registry import register
from npukit.ops.shapes import norm_axis


class _AxisOp(Unary):
    """A normalisation along ``axis`` (default −1); shape and dtype unchanged."""

    def axis(self, node: Node, x: np.ndarray) -> int:
        return norm_axis(int(node.attr("axis", -1)), x.ndim)

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        with np.errstate(all="ignore"):  # float16 is computed in float32, then cast back
            y = self.fn(node, x.astype(np.float32) if x.dtype == np.float16 else x)
        return [np.asarray(y).astype(x.dtype, copy=False)]


@register
class Softmax(_AxisOp):
    op_type = "Softmax"
    versions = (13,)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        if x.ndim == 0:
            return np.ones_like(x)
        ax = self.axis(node, x)
        e = np.exp(x - np.max(x, axis=ax, keepdims=True))
        return e / np.sum(e, axis=ax, keepdims=True)


@register
class LogSoftmax(_AxisOp):
    op_type = "LogSoftmax"
    versions = (13,)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        if x.ndim == 0:
            return np.zeros_like(x)
        ax = self.axis(node, x)
        s = x - np.max(x, axis=ax, keepdims=True)
        return s - np.log(np.sum(np.exp(s), axis=ax, keepdims=True))


@register
class Hardmax(_AxisOp):
    """1 at the first maximum along the axis, 0 elsewhere."""

    op_type = "Hardmax"
    versions = (13,)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        if x.ndim == 0:
            return np.ones_like(x)
        ax = self.axis(node, x)
        idx = np.expand_dims(np.argmax(x, axis=ax), ax)
        y = np.zeros_like(x)
        np.put_along_axis(y, idx, 1, axis=ax)
        return y
