"""fuse_clamp: fold only Relu / Clip into the Conv / Gemm / MatMul that feeds it.

The pipeline used before quantization: a clamp costs nothing in integers
(clamp bounds on the output codes, docs/numerics.md), while Sigmoid /
HardSwish / LeakyRelu must stay separate nodes so they get their own
calibrated range and a lookup table.
"""

from __future__ import annotations

from dataclasses import dataclass

from npukit.ir import Graph, Node, Patch
from npukit.passes.base import RulePass
from npukit.passes.fuse_activation import FuseActivationRule

CLAMPS = ("Relu", "Clip")


@dataclass
class FuseClampRule(FuseActivationRule):
    name: str = "fuse_clamp"

    def match(self, g: Graph, node: Node) -> Patch | None:
        return super().match(g, node) if node.op_type in CLAMPS else None


class FuseClamp(RulePass):
    """Pass ``fuse_clamp``."""

    def __init__(self) -> None:
        super().__init__("fuse_clamp", [FuseClampRule()])
