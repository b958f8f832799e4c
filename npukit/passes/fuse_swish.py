"""fuse_swish: ``Mul(x, Sigmoid(x))`` → ``npukit::Swish(x)`` (either operand order).

The Sigmoid must have the Mul as its only reader.  Swish is an npukit-domain
op (ONNX has it from opset 24 only); ONNX export expands it back.
"""

from __future__ import annotations

from dataclasses import dataclass

from npukit.ir import Graph, Node, Patch
from npukit.passes.base import RulePass, only_consumer, producer


@dataclass
class FuseSwishRule:
    name: str = "fuse_swish"

    def match(self, g: Graph, node: Node) -> Patch | None:
        if node.op_type != "Mul" or node.domain or len(node.inputs) != 2:
            return None
        for k in (0, 1):
            x, s = node.inputs[k], node.inputs[1 - k]
            sig = producer(g, s, "Sigmoid")
            if sig is None or sig.inputs[0] != x or not only_consumer(g, s, node):
                continue
            swish = Node(node.name, "Swish", [x], [node.outputs[0]], domain="npukit")
            return Patch(remove=[sig, node], add=[swish])
        return None


class FuseSwish(RulePass):
    """Pass ``fuse_swish``."""

    def __init__(self) -> None:
        super().__init__("fuse_swish", [FuseSwishRule()])
