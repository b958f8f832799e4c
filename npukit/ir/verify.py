"""Well-formedness checks for a Graph (see ``Graph.verify``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from npukit.errors import GraphError

if TYPE_CHECKING:
    from npukit.ir.graph import Graph, Node


def verify_graph(g: Graph, infer: Callable[[Graph, Node], list] | None = None) -> None:
    defined: set[str] = set()
    for name in g.inputs:
        if name not in g.values:
            raise GraphError(f"graph input {name!r} has no value entry")
        if name in defined:
            raise GraphError(f"graph input {name!r} is listed twice")
        defined.add(name)
    for v in g.values.values():
        if v.const is not None:
            if v.name in defined:
                raise GraphError(f"value {v.name!r} is both a graph input and a constant")
            defined.add(v.name)
    node_names: set[str] = set()
    for n in g.nodes:
        if n.name in node_names:
            raise GraphError(f"node name {n.name!r} is used twice")
        node_names.add(n.name)
        for i in n.inputs:
            if i and i not in defined:
                raise GraphError(f"node {n.name!r} ({n.op_type}) reads {i!r} before it is "
                                 "defined (undefined value, or nodes out of order / a cycle)")
        for o in n.outputs:
            if not o:
                continue
            if o in defined:
                raise GraphError(f"value {o!r} is defined twice (again by node {n.name!r})")
            if o not in g.values:
                raise GraphError(f"node {n.name!r} output {o!r} has no value entry")
            defined.add(o)
    for o in g.outputs:
        if o not in defined:
            raise GraphError(f"graph output {o!r} is never defined")
    if infer is not None:
        _check_types(g, infer)


def _check_types(g: Graph, infer: Callable[[Graph, Node], list]) -> None:
    for n in g.nodes:
        inferred = infer(g, n)
        for o, t in zip(n.outputs, inferred):
            if not o or t is None:
                continue
            v = g.values[o]
            if v.dtype is not None and t.dtype is not None and v.dtype != t.dtype:
                raise GraphError(f"node {n.name!r} ({n.op_type}) output {o!r} is declared "
                                 f"{v.dtype} but the op gives {t.dtype}")
            if v.shape is not None and t.shape is not None and _static(v.shape) \
                    and _static(t.shape) and tuple(v.shape) != tuple(t.shape):
                raise GraphError(f"node {n.name!r} ({n.op_type}) output {o!r} is declared "
                                 f"{list(v.shape)} but the op gives {list(t.shape)}")


def _static(shape: tuple) -> bool:
    return all(isinstance(d, int) for d in shape)
