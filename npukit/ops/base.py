"""Family base classes: most ops are a few lines on top of one of these."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from npukit.ir import Node
from npukit.ops.registry import Op, TensorType
from npukit.ops.shapes import broadcast


class Unary(Op):
    """``y = fn(x)``: same dtype and shape as the first input."""

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        t = ins[0]
        return [TensorType(t.dtype if t else None, t.shape if t else None)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        return [np.asarray(self.fn(node, x)).astype(x.dtype, copy=False)]


class Binary(Op):
    """Elementwise with multidirectional broadcasting; ``out_dtype`` None = input dtype."""

    out_dtype: str | None = None

    def fn(self, node: Node, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        shapes = [t.shape if t else None for t in ins]
        dtype = self.out_dtype or (ins[0].dtype if ins[0] else None)
        return [TensorType(dtype, broadcast(*shapes))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        a, b = inputs
        y = np.asarray(self.fn(node, a, b))
        return [y.astype(self.out_dtype or a.dtype, copy=False)]


def ints(node: Node, key: str, default: Sequence[int] | None = None) -> list[int]:
    v = node.attrs.get(key, default)
    return [] if v is None else [int(x) for x in v]
