"""fuse_hardswish: recognise hard-swish written out in elementary ops → ``HardSwish(x)``.

Patterns (operands of Mul / Add in either order; intermediates read only
inside the pattern):

* ``x · HardSigmoid(x, alpha=1/6, beta=0.5)``
* ``(x · Clip(x + 3, 0, 6)) / 6`` and ``(x · Clip(x + 3, 0, 6)) · (1/6)``
* ``x · (Clip(x + 3, 0, 6) / 6)`` and ``x · (Clip(x + 3, 0, 6) · (1/6))``
"""

from __future__ import annotations

from dataclasses import dataclass

from npukit.ir import Graph, Node, Patch
from npukit.passes.base import RulePass, is_close, producer, scalar_const, single_use

SIXTH = 1.0 / 6.0


def sixth_of(g: Graph, node: Node) -> str | None:
    """If ``node`` computes ``a / 6`` or ``a · (1/6)``, the value ``a``."""
    if node.domain or len(node.inputs) != 2:
        return None
    if node.op_type == "Div" and is_close(scalar_const(g, node.inputs[1]), 6.0):
        return node.inputs[0]
    if node.op_type == "Mul":
        for k in (0, 1):
            if is_close(scalar_const(g, node.inputs[1 - k]), SIXTH):
                return node.inputs[k]
    return None


def relu6_of_shifted(g: Graph, value: str, x: str) -> list[Node] | None:
    """Nodes ``[Clip, Add]`` if ``value`` is ``Clip(x + 3, 0, 6)`` used once, else None."""
    clip = producer(g, value, "Clip")
    if clip is None or not single_use(g, value) or len(clip.inputs) < 3:
        return None
    if not (is_close(scalar_const(g, clip.inputs[1]), 0.0)
            and is_close(scalar_const(g, clip.inputs[2]), 6.0)):
        return None
    add = producer(g, clip.inputs[0], "Add")
    if add is None or not single_use(g, clip.inputs[0]) or len(add.inputs) != 2:
        return None
    for k in (0, 1):
        if add.inputs[k] == x and is_close(scalar_const(g, add.inputs[1 - k]), 3.0):
            return [clip, add]
    return None


def _mul_operands(node: Node | None) -> list[tuple[str, str]]:
    if node is None or node.op_type != "Mul" or node.domain or len(node.inputs) != 2:
        return []
    a, b = node.inputs
    return [(a, b), (b, a)]


def _hard_sigmoid(g: Graph, h: str, x: str) -> list[Node] | None:
    hs = producer(g, h, "HardSigmoid")
    if hs is None or hs.inputs[0] != x or not single_use(g, h):
        return None
    ok = is_close(float(hs.attr("alpha", 0.2)), SIXTH) and is_close(float(hs.attr("beta", 0.5)),
                                                                       0.5)
    return [hs] if ok else None


def _gate(g: Graph, h: str, x: str) -> list[Node] | None:
    """Nodes computing ``h = hard_sigmoid(x)`` (HardSigmoid, or Clip(x+3,0,6)/6)."""
    found = _hard_sigmoid(g, h, x)
    if found is not None:
        return found
    div = producer(g, h, "Div", "Mul")
    r = None if div is None or not single_use(g, h) else sixth_of(g, div)
    rest = None if r is None else relu6_of_shifted(g, r, x)
    return None if rest is None or div is None else [div] + rest


def _outer_scaled(g: Graph, node: Node) -> tuple[str, list[Node]] | None:
    """``(x · Clip(x+3, 0, 6)) / 6`` ending at ``node``: x and the inner nodes."""
    a = sixth_of(g, node)
    m = None if a is None else producer(g, a, "Mul")
    if a is None or m is None or not single_use(g, a):
        return None
    for x, r in _mul_operands(m):
        rest = relu6_of_shifted(g, r, x)
        if rest is not None:
            return x, [m] + rest
    return None


@dataclass
class FuseHardswishRule:
    name: str = "fuse_hardswish"

    def match(self, g: Graph, node: Node) -> Patch | None:
        if node.domain or node.op_type not in ("Mul", "Div"):
            return None
        found = _outer_scaled(g, node)
        for x, h in _mul_operands(node) if found is None else []:
            gate = _gate(g, h, x)
            if gate is not None:
                found = x, gate
                break
        if found is None:
            return None
        x, nodes = found
        hswish = Node(node.name, "HardSwish", [x], [node.outputs[0]])
        return Patch(remove=[node] + nodes, add=[hswish])


class FuseHardswish(RulePass):
    """Pass ``fuse_hardswish``."""

    def __init__(self) -> None:
        super().__init__("fuse_hardswish", [FuseHardswishRule()])
