"""The IR: a Graph of Nodes connected by named Values.

Values are identified by name (ONNX style).  A value is a graph input, a
constant (it carries ``const``), or the output of exactly one node.  Edits go
through :mod:`npukit.ir.rewrite` patches; passes never poke at lists directly.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Union

import numpy as np

from npukit.errors import GraphError
from npukit.ir.quant import QuantParams

Dim = Union[int, str]           # an int, or a symbolic name such as "N"; "?" = unknown
Shape = tuple  # tuple[Dim, ...]


@dataclass
class Value:
    """A tensor: name, element type, shape (None = unknown rank) and, for constants, data."""

    name: str
    dtype: str | None = None
    shape: Shape | None = None
    const: np.ndarray | None = None
    quant: QuantParams | None = None

    @property
    def is_const(self) -> bool:
        return self.const is not None

    @property
    def is_static(self) -> bool:
        return self.shape is not None and all(isinstance(d, int) for d in self.shape)


@dataclass
class Node:
    """One operation.  ``inputs`` may hold ``""`` for an omitted optional input."""

    name: str
    op_type: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    domain: str = ""

    def attr(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)


class Graph:
    """Nodes (kept in topological order), values, graph inputs/outputs and the opset."""

    def __init__(self, name: str = "graph", opset: int = 21) -> None:
        self.name = name
        self.opset = opset
        self.values: dict[str, Value] = {}
        self.nodes: list[Node] = []
        self.inputs: list[str] = []
        self.outputs: list[str] = []
        self.metadata: dict[str, str] = {}
        self._index: tuple[dict[str, Node], dict[str, list[Node]]] | None = None

    # ---- construction -------------------------------------------------
    def add_value(self, value: Value) -> Value:
        self.values[value.name] = value
        return value

    def value(self, name: str) -> Value:
        try:
            return self.values[name]
        except KeyError:
            raise GraphError(f"graph {self.name!r} has no value {name!r}") from None

    def add_input(self, name: str, dtype: str | None, shape: Shape | None) -> Value:
        self.inputs.append(name)
        return self.add_value(Value(name, dtype, shape))

    def add_const(self, name: str, data: np.ndarray) -> Value:
        from npukit.ir.dtypes import dtype_name
        arr = np.asarray(data)
        return self.add_value(Value(name, dtype_name(arr.dtype), tuple(arr.shape), arr))

    def add_node(self, node: Node) -> Node:
        for o in node.outputs:
            self.values.setdefault(o, Value(o))
        self.nodes.append(node)
        self.invalidate()
        return node

    def unique_name(self, base: str) -> str:
        taken = set(self.values) | {n.name for n in self.nodes}
        if base not in taken:
            return base
        i = 1
        while f"{base}_{i}" in taken:
            i += 1
        return f"{base}_{i}"

    # ---- queries -----------------------------------------------------
    def invalidate(self) -> None:
        """Forget the producer/consumer index after an edit."""
        self._index = None

    def _build_index(self) -> tuple[dict[str, Node], dict[str, list[Node]]]:
        if self._index is None:
            prod: dict[str, Node] = {}
            cons: dict[str, list[Node]] = {}
            for n in self.nodes:
                for o in n.outputs:
                    if o:
                        prod[o] = n
                for i in n.inputs:
                    if i:
                        cons.setdefault(i, []).append(n)
            self._index = (prod, cons)
        return self._index

    def producer(self, value: str) -> Node | None:
        return self._build_index()[0].get(value)

    def consumers(self, value: str) -> list[Node]:
        return list(self._build_index()[1].get(value, ()))

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise GraphError(f"graph {self.name!r} has no node {name!r}")

    def const(self, name: str) -> np.ndarray | None:
        v = self.values.get(name)
        return None if v is None else v.const

    def constants(self) -> dict[str, np.ndarray]:
        return {k: v.const for k, v in self.values.items() if v.const is not None}

    def is_used(self, value: str) -> bool:
        return value in self.outputs or bool(self._build_index()[1].get(value))

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    # ---- order and checks ----------------------------------------------
    def toposort(self) -> None:
        """Reorder nodes topologically (stable: keeps the given order where it can)."""
        prod, _ = self._build_index()
        order: list[Node] = []
        state: dict[int, int] = {}
        for root in self.nodes:
            stack: list[tuple[Node, Iterator[str]]] = []
            if state.get(id(root)) == 2:
                continue
            state[id(root)] = 1
            stack.append((root, iter(root.inputs)))
            while stack:
                n, it = stack[-1]
                for i in it:
                    p = prod.get(i)
                    if p is None or state.get(id(p)) == 2:
                        continue
                    if state.get(id(p)) == 1:
                        raise GraphError(f"graph {self.name!r} has a cycle through node {p.name!r}")
                    state[id(p)] = 1
                    stack.append((p, iter(p.inputs)))
                    break
                else:
                    stack.pop()
                    state[id(n)] = 2
                    order.append(n)
        self.nodes = order
        self.invalidate()

    def verify(self, infer: Callable[[Graph, Node], list] | None = None) -> None:
        """Check well-formedness; raise :class:`GraphError` naming the first fault.

        Every value is defined once (graph input, constant or one node output),
        every used value is defined before use, names are unique, outputs exist.
        With ``infer`` (from ``npukit.ops``) each node's declared output types
        must agree with what its op infers.
        """
        from npukit.ir.verify import verify_graph
        verify_graph(self, infer)

    def copy(self) -> Graph:
        """A structural copy; constant arrays are shared (they are never written)."""
        g = Graph(self.name, self.opset)
        g.values = {k: Value(v.name, v.dtype, v.shape, v.const, v.quant)
                    for k, v in self.values.items()}
        g.nodes = [Node(n.name, n.op_type, list(n.inputs), list(n.outputs),
                        copy.deepcopy(n.attrs), n.domain) for n in self.nodes]
        g.inputs, g.outputs = list(self.inputs), list(self.outputs)
        g.metadata = dict(self.metadata)
        return g

    def remove_unused_values(self) -> None:
        used = set(self.inputs) | set(self.outputs)
        for n in self.nodes:
            used.update(i for i in n.inputs if i)
            used.update(o for o in n.outputs if o)
        self.values = {k: v for k, v in self.values.items() if k in used}

    def op_histogram(self) -> dict[str, int]:
        hist: dict[str, int] = {}
        for n in self.nodes:
            hist[n.op_type] = hist.get(n.op_type, 0) + 1
        return dict(sorted(hist.items(), key=lambda kv: (-kv[1], kv[0])))


def iter_used_inputs(nodes: Iterable[Node]) -> Iterator[str]:
    for n in nodes:
        yield from (i for i in n.inputs if i)
