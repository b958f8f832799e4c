"""fuse_activation: fold an activation into the Conv / Gemm / MatMul that feeds it.

``Relu(Conv(x))`` becomes ``Conv(x) {activation="Relu"}``: the Conv writes the
activation's output (see ``npukit/ops/fused.py``).  Fires only when the
activation is the producer's single reader.  Clip needs constant bounds
(absent = unbounded) and becomes ``activation_params=[min, max]``;
LeakyRelu keeps ``[alpha]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from npukit.ir import Graph, Node, Patch
from npukit.passes.base import RulePass, only_consumer, scalar_const

PRODUCERS = ("Conv", "Gemm", "MatMul")


def activation_params(g: Graph, act: Node) -> list[float] | None:
    """The ``activation_params`` for ``act``, or None when it cannot be fused."""
    if act.op_type in ("Relu", "Sigmoid", "HardSwish"):
        return []
    if act.op_type == "LeakyRelu":
        return [float(act.attr("alpha", 0.01))]
    if act.op_type == "Clip":
        bounds = []
        for k, default in ((1, -np.inf), (2, np.inf)):
            name = act.inputs[k] if len(act.inputs) > k else ""
            v = scalar_const(g, name) if name else default
            if v is None:
                return None
            bounds.append(float(v))
        return bounds
    return None


@dataclass
class FuseActivationRule:
    name: str = "fuse_activation"

    def match(self, g: Graph, node: Node) -> Patch | None:
        if node.domain or not node.inputs:
            return None
        params = activation_params(g, node)
        p = g.producer(node.inputs[0])
        if params is None or p is None or p.domain or p.op_type not in PRODUCERS:
            return None
        if "activation" in p.attrs or not only_consumer(g, node.inputs[0], node):
            return None
        attrs = {**p.attrs, "activation": node.op_type, "activation_params": params}
        fused = Node(p.name, p.op_type, list(p.inputs), [node.outputs[0]], attrs)
        return Patch(remove=[p, node], add=[fused])


class FuseActivation(RulePass):
    """Pass ``fuse_activation``."""

    def __init__(self) -> None:
        super().__init__("fuse_activation", [FuseActivationRule()])
