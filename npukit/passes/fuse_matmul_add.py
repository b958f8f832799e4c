"""fuse_matmul_add: ``Add(MatMul(A, W), c)`` → ``Gemm(A, W, c)``.

Fires when A is 2-D, W is a 2-D constant, c is a constant of shape ``(N,)``,
``(1, N)`` or one element, and the MatMul's only reader is the Add.
"""

from __future__ import annotations

from dataclasses import dataclass

from npukit.ir import Graph, Node, Patch
from npukit.passes.base import RulePass, only_consumer, shape_of


def _row_bias(g: Graph, name: str, n: int) -> bool:
    c = g.const(name)
    if c is None or c.dtype.kind != "f":
        return False
    return c.size == 1 and c.ndim <= 2 or tuple(c.shape) in ((n,), (1, n))


@dataclass
class FuseMatmulAddRule:
    name: str = "fuse_matmul_add"

    def match(self, g: Graph, node: Node) -> Patch | None:
        if node.op_type != "Add" or node.domain or len(node.inputs) != 2:
            return None
        for k in (0, 1):
            mm = g.producer(node.inputs[k])
            bias = node.inputs[1 - k]
            if mm is None or mm.op_type != "MatMul" or mm.domain or "activation" in mm.attrs:
                continue
            w = g.const(mm.inputs[1])
            a_shape = shape_of(g, mm.inputs[0])
            if w is None or w.ndim != 2 or a_shape is None or len(a_shape) != 2:
                continue
            if not only_consumer(g, mm.outputs[0], node) or not _row_bias(g, bias, w.shape[1]):
                continue
            gemm = Node(mm.name, "Gemm", [mm.inputs[0], mm.inputs[1], bias], [node.outputs[0]])
            return Patch(remove=[mm, node], add=[gemm])
        return None


class FuseMatmulAdd(RulePass):
    """Pass ``fuse_matmul_add``."""

    def __init__(self) -> None:
        super().__init__("fuse_matmul_add", [FuseMatmulAddRule()])
