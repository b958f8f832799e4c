"""DepthToSpace and SpaceToDepth (DCR and CRD orders), NCHW, as reshape-transpose-reshape."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from npukit.errors import ShapeError, UnsupportedOpError
from npukit.ir import Node
from npukit.ops.registry import Op, TensorType, register
from npukit.ops.shape_ops import Consts, Types, dtype_of, shape_of
from npukit.ops.shapes import UNKNOWN


def _mul(d: Any, b: int) -> Any:
    return d * b if isinstance(d, int) else UNKNOWN


def _div(node: Node, d: Any, b: int) -> Any:
    if not isinstance(d, int):
        return UNKNOWN
    if d % b:
        raise ShapeError(f"{node.op_type} {node.name!r}: dim {d} is not a multiple of {b}")
    return d // b


class _Block(Op):
    def mode(self, node: Node) -> str:
        m = str(node.attr("mode", "DCR"))
        if m not in ("DCR", "CRD"):
            raise UnsupportedOpError(node.op_type, node.name, detail=f"mode {m!r}")
        return m

    def check(self, node: Node, shape: tuple | None) -> int:
        if shape is not None and len(shape) != 4:
            raise ShapeError(f"{node.op_type} {node.name!r}: input must be 4-D (NCHW), "
                             f"got {list(shape)}")
        return int(node.attr("blocksize"))


@register
class DepthToSpace(_Block):
    op_type = "DepthToSpace"
    versions = (11, 13, 28)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x = shape_of(ins[0])
        b = self.check(node, x)
        if x is None:
            return [TensorType(dtype_of(ins[0]), None)]
        out = (x[0], _div(node, x[1], b * b), _mul(x[2], b), _mul(x[3], b))
        return [TensorType(dtype_of(ins[0]), out)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        b = self.check(node, x.shape)
        n, c, h, w = x.shape
        if self.mode(node) == "DCR":
            y = x.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
        else:
            y = x.reshape(n, c // (b * b), b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
        return [y.reshape(n, c // (b * b), h * b, w * b)]


@register
class SpaceToDepth(_Block):
    op_type = "SpaceToDepth"
    versions = (13, 28)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x = shape_of(ins[0])
        b = self.check(node, x)
        if x is None:
            return [TensorType(dtype_of(ins[0]), None)]
        out = (x[0], _mul(x[1], b * b), _div(node, x[2], b), _div(node, x[3], b))
        return [TensorType(dtype_of(ins[0]), out)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        b = self.check(node, x.shape)
        n, c, h, w = x.shape
        y = x.reshape(n, c, h // b, b, w // b, b)
        perm = (0, 3, 5, 1, 2, 4) if self.mode(node) == "DCR" else (0, 1, 3, 5, 2, 4)
        return [y.transpose(perm).reshape(n, c * b * b, h // b, w // b)]


__all__ = ["DepthToSpace", "SpaceToDepth"]
