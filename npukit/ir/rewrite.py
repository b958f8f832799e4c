"""The one mechanism for editing a graph: a rule matches at a node and returns a Patch.

A pass is a list of rules (or, rarely, a function that builds one Patch for the
whole graph).  ``apply_patch`` is the only code that changes a graph's
structure; ``rewrite`` drives rules to a fixed point and records every rule
that fired, on which node, so each change is traceable (tinygrad, tract).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from npukit.errors import GraphError
from npukit.ir.dtypes import dtype_name
from npukit.ir.graph import Graph, Node, Value


@dataclass
class Patch:
    """A self-contained edit.

    ``remove``: nodes to delete.  ``add``: new nodes (their outputs get value
    entries; declare types in ``values`` when known).  ``consts``: new constant
    values.  ``replace``: every use of value *a* (node inputs and graph outputs)
    becomes value *b*.  A replaced graph output keeps its user-visible name: the
    producer of *b* is renamed to produce *a* instead.
    """

    remove: list[Node] = field(default_factory=list)
    add: list[Node] = field(default_factory=list)
    consts: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, Value] = field(default_factory=dict)
    replace: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.remove or self.add or self.consts or self.replace)


class Rule(Protocol):
    """A named pattern → rewrite rule."""

    name: str

    def match(self, graph: Graph, node: Node) -> Patch | None: ...


@dataclass
class Firing:
    rule: str
    node: str
    op_type: str


def apply_patch(g: Graph, p: Patch) -> None:
    """Apply ``p`` to ``g`` in place, keep topological order, drop orphan values."""
    removed = {id(n) for n in p.remove}
    g.nodes = [n for n in g.nodes if id(n) not in removed]
    for name, arr in p.consts.items():
        arr = np.asarray(arr)
        g.values[name] = Value(name, dtype_name(arr.dtype), tuple(arr.shape), arr)
    for name, v in p.values.items():
        g.values[name] = v
    for n in p.add:
        for o in n.outputs:
            if o:
                g.values.setdefault(o, Value(o))
        g.nodes.append(n)
    g.invalidate()
    for a, b in p.replace.items():
        _replace_uses(g, a, b)
    g.toposort()
    g.remove_unused_values()


def _replace_uses(g: Graph, a: str, b: str) -> None:
    if a == b:
        return
    if a in g.outputs and b not in g.inputs and g.values.get(b) is not None \
            and g.values[b].const is None and g.producer(b) is not None \
            and b not in g.outputs:
        _rename_value(g, b, a)
        return
    for n in g.nodes:
        n.inputs = [b if i == a else i for i in n.inputs]
    if a in g.outputs:
        if b in g.inputs or g.values[b].const is not None or b in g.outputs:
            ident = Node(g.unique_name(f"{a}_identity"), "Identity", [b], [a])
            va = g.values.get(a) or Value(a)
            vb = g.values[b]
            g.values[a] = Value(a, vb.dtype or va.dtype, vb.shape or va.shape, None, vb.quant)
            g.nodes.append(ident)
        else:
            g.outputs = [b if o == a else o for o in g.outputs]
    g.invalidate()


def _rename_value(g: Graph, old: str, new: str) -> None:
    """Rename value ``old`` to ``new`` (the old ``new`` must be dead after the patch)."""
    prod = g.producer(new)
    if prod is not None:
        raise GraphError(f"cannot rename {old!r} to {new!r}: node {prod.name!r} still "
                         f"produces {new!r}")
    v = g.values.pop(old)
    keep = g.values.get(new)
    g.values[new] = Value(new, v.dtype or (keep.dtype if keep else None),
                          v.shape or (keep.shape if keep else None), v.const,
                          v.quant or (keep.quant if keep else None))
    for n in g.nodes:
        n.inputs = [new if i == old else i for i in n.inputs]
        n.outputs = [new if o == old else o for o in n.outputs]
    g.invalidate()


def rewrite(g: Graph, rules: list[Rule], max_firings: int = 100_000) -> list[Firing]:
    """Apply ``rules`` to ``g`` in place until none matches; return what fired."""
    log: list[Firing] = []
    changed = True
    while changed:
        changed = False
        alive = {id(n) for n in g.nodes}
        for node in list(g.nodes):
            if id(node) not in alive:
                continue
            for rule in rules:
                patch = rule.match(g, node)
                if patch:
                    apply_patch(g, patch)
                    alive = {id(n) for n in g.nodes}
                    log.append(Firing(rule.name, node.name, node.op_type))
                    changed = True
                    break
            if len(log) >= max_firings:
                raise GraphError(f"rewrite did not converge after {max_firings} firings "
                                 f"(last rule {log[-1].rule!r})")
    return log
