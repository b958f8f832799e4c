"""Comparisons, boolean logic and Where (all with multidirectional broadcasting)."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from npukit.ir import Node
from npukit.ops.base import Binary, Unary
from npukit.ops.registry import Op, TensorType, register
from npukit.ops.shapes import broadcast


class _Compare(Binary):
    """``a <op> b`` elementwise, bool result."""

    out_dtype = "bool"
    ufunc: Callable[[np.ndarray, np.ndarray], np.ndarray]

    def fn(self, node: Node, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return type(self).ufunc(a, b)


def _compare(name: str, ufunc: Callable, versions: tuple[int, ...]) -> type[Op]:
    cls = type(name, (_Compare,), {"op_type": name, "versions": versions,
                                   "ufunc": staticmethod(ufunc), "__module__": __name__})
    return register(cls)


Equal = _compare("Equal", np.equal, (11, 13, 19))  # 19 adds strings (object arrays)
Less = _compare("Less", np.less, (9, 13))
Greater = _compare("Greater", np.greater, (9, 13))
LessOrEqual = _compare("LessOrEqual", np.less_equal, (12, 16))
GreaterOrEqual = _compare("GreaterOrEqual", np.greater_equal, (12, 16))
And = _compare("And", np.logical_and, (7,))
Or = _compare("Or", np.logical_or, (7,))
Xor = _compare("Xor", np.logical_xor, (7,))


@register
class Not(Unary):
    op_type = "Not"
    versions = (1,)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        return np.logical_not(x)


@register
class Where(Op):
    """``condition ? X : Y``, the three inputs broadcast together; X's dtype."""

    op_type = "Where"
    versions = (9, 16)

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        dtype = ins[1].dtype if ins[1] else (ins[2].dtype if ins[2] else None)
        return [TensorType(dtype, broadcast(*[t.shape if t else None for t in ins]))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        c, x, y = inputs
        return [np.where(c.astype(bool, copy=False), x, y).astype(x.dtype, copy=False)]

