"""Gemm and MatMul (float kernels on BLAS through ``np.matmul``)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from npukit.errors import ShapeError
from npukit.ir import Node
from npukit.ops.fused import apply_activation
from npukit.ops.registry import Op, TensorType, register
from npukit.ops.shapes import UNKNOWN, broadcast, numel


@register
class Gemm(Op):
    """Y = alpha · A' · B' + beta · C, A' / B' optionally transposed."""

    op_type = "Gemm"
    versions = (7, 9, 11, 13)

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        a, b = ins[0], ins[1]
        if a is None or b is None or a.shape is None or b.shape is None:
            return [TensorType(a.dtype if a else None, None)]
        m = a.shape[1] if node.attr("transA", 0) else a.shape[0]
        n = b.shape[0] if node.attr("transB", 0) else b.shape[1]
        ka = a.shape[0] if node.attr("transA", 0) else a.shape[1]
        kb = b.shape[1] if node.attr("transB", 0) else b.shape[0]
        if isinstance(ka, int) and isinstance(kb, int) and ka != kb:
            raise ShapeError(f"Gemm {node.name!r}: inner dims {ka} and {kb} differ")
        return [TensorType(a.dtype, (m, n))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        a, b = inputs[0], inputs[1]
        c = inputs[2] if len(inputs) > 2 else None
        if node.attr("transA", 0):
            a = a.T
        if node.attr("transB", 0):
            b = b.T
        y = np.matmul(a, b)
        alpha, beta = float(node.attr("alpha", 1.0)), float(node.attr("beta", 1.0))
        if alpha != 1.0:
            y = y * np.asarray(alpha, y.dtype)
        if c is not None:
            y = y + (c if beta == 1.0 else c * np.asarray(beta, c.dtype))
        return [apply_activation(node, y.astype(inputs[0].dtype, copy=False))]

    def macs(self, node: Node, ins: Sequence[TensorType | None],
             outs: Sequence[TensorType | None]) -> int:
        if outs[0] is None or ins[0] is None or ins[0].shape is None:
            return 0
        k = ins[0].shape[0] if node.attr("transA", 0) else ins[0].shape[1]
        return numel(outs[0].shape) * (k if isinstance(k, int) else 0)


@register
class MatMul(Op):
    """NumPy ``matmul`` semantics (1-D operands promoted, batch dims broadcast)."""

    op_type = "MatMul"
    versions = (1, 9, 13)

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        a, b = ins[0], ins[1]
        if a is None or b is None or a.shape is None or b.shape is None:
            return [TensorType(a.dtype if a else None, None)]
        sa, sb = tuple(a.shape), tuple(b.shape)
        if len(sa) == 1 and len(sb) == 1:
            return [TensorType(a.dtype, ())]
        pa = sa if len(sa) > 1 else (1,) + sa
        pb = sb if len(sb) > 1 else sb + (1,)
        ka, kb = pa[-1], pb[-2]
        if isinstance(ka, int) and isinstance(kb, int) and ka != kb:
            raise ShapeError(f"MatMul {node.name!r}: inner dims {ka} and {kb} differ "
                             f"(shapes {list(sa)} and {list(sb)})")
        batch = broadcast(pa[:-2], pb[:-2]) or ()
        out = tuple(batch) + ((pa[-2],) if len(sa) > 1 else ()) + ((pb[-1],) if len(sb) > 1
                                                                   else ())
        return [TensorType(a.dtype, out)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        a, b = inputs
        return [apply_activation(node, np.asarray(np.matmul(a, b)).astype(a.dtype, copy=False))]

    def macs(self, node: Node, ins: Sequence[TensorType | None],
             outs: Sequence[TensorType | None]) -> int:
        if outs[0] is None or ins[0] is None or ins[0].shape is None:
            return 0
        k = ins[0].shape[-1]
        return numel(outs[0].shape) * (k if isinstance(k, int) else 0)


__all__ = ["Gemm", "MatMul", "UNKNOWN"]
