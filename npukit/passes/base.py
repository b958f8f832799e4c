"""What every pass shares: the Pass protocol, rule-driven passes and small match helpers.

A pass is "match a pattern, return a Patch or nothing" (``npukit.ir.rewrite``);
helpers here only *read* the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np

from npukit.ir import Firing, Graph, Node, Rule, rewrite


class Pass(Protocol):
    """A named graph pass: edits ``graph`` in place, returns what it changed."""

    name: str

    def run(self, graph: Graph) -> list[Firing]: ...


@dataclass
class RulePass:
    """A pass made of rules, driven to a fixed point by :func:`npukit.ir.rewrite`."""

    name: str
    rules: Sequence[Rule] = field(default_factory=list)

    def run(self, graph: Graph) -> list[Firing]:
        return rewrite(graph, list(self.rules))


def only_consumer(g: Graph, value: str, node: Node) -> bool:
    """``node`` is the single reader of ``value`` and ``value`` is no graph output."""
    cons = g.consumers(value)
    return len(cons) == 1 and cons[0] is node and value not in g.outputs


def single_use(g: Graph, value: str) -> bool:
    """``value`` has exactly one reading node and is no graph output."""
    return len(g.consumers(value)) == 1 and value not in g.outputs


def can_bypass(g: Graph, out: str, src: str) -> bool:
    """Replacing ``out`` by ``src`` removes a node without re-inserting an Identity.

    ``apply_patch`` keeps a graph output's name by inserting an Identity when
    the replacement is a graph input, a constant or another output; such a
    rewrite would fire forever.
    """
    if out not in g.outputs:
        return True
    v = g.values.get(src)
    return not (src in g.inputs or src in g.outputs or (v is not None and v.is_const))


def producer(g: Graph, value: str, *op_types: str) -> Node | None:
    """The node making ``value`` if its op is one of ``op_types`` (default domain)."""
    p = g.producer(value)
    if p is None or p.domain or p.op_type not in op_types:
        return None
    return p


def const_input(g: Graph, node: Node, k: int) -> np.ndarray | None:
    """The constant at input ``k`` of ``node`` (None if absent or not constant)."""
    if k >= len(node.inputs) or not node.inputs[k]:
        return None
    return g.const(node.inputs[k])


def scalar_const(g: Graph, name: str) -> float | None:
    """The value of a one-element constant, else None."""
    c = g.const(name) if name else None
    if c is None or c.size != 1 or c.dtype.kind not in "fiu":
        return None
    return float(c.reshape(-1)[0])


def is_close(a: float | None, b: float, tol: float = 1e-6) -> bool:
    return a is not None and abs(a - b) <= tol * max(1.0, abs(b))


def shape_of(g: Graph, value: str) -> tuple | None:
    v = g.values.get(value)
    return None if v is None or v.shape is None else tuple(v.shape)


def static_shape(g: Graph, value: str) -> tuple[int, ...] | None:
    s = shape_of(g, value)
    return s if s is not None and all(isinstance(d, int) for d in s) else None


def fresh(g: Graph, base: str, taken: set[str] | None = None) -> str:
    """A name unused by the graph (and by ``taken``, names already chosen in one patch)."""
    name = g.unique_name(base)
    i = 1
    while taken is not None and name in taken:
        name = g.unique_name(f"{base}_{i}")
        i += 1
    if taken is not None:
        taken.add(name)
    return name
