"""fold_constants: evaluate nodes whose inputs are all constant, at compile time.

Each such node runs through its own float kernel (``npukit.ops``) and its
outputs become constants with the same names.  ``Shape`` and ``Size`` of a
value with a static shape fold without running anything, which lets the
Shape → Gather → Concat → Reshape chains exporters emit fold away.
Random ops are never folded; graph outputs stay computed by a node.

The pass is one topological sweep that builds a single Patch (constants
folded early feed the nodes after them), so it stays linear on graphs with
thousands of weight fills; the rules below do the same one node at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from npukit.ir import Firing, Graph, Node, Patch, apply_patch
from npukit.ops import get_op, has_op
from npukit.passes.base import static_shape

NONDETERMINISTIC = frozenset({"RandomNormal", "RandomUniform", "RandomNormalLike",
                              "RandomUniformLike", "Multinomial", "Bernoulli"})
MAX_ELEMENTS = 1 << 28  # 1 GiB of float32: weight fills of big FC layers still fold

ConstOf = Callable[[str], "np.ndarray | None"]


def _outputs_foldable(g: Graph, node: Node) -> bool:
    return bool(node.outputs) and all(o and o not in g.outputs for o in node.outputs)


def run_constant_node(g: Graph, node: Node, const_of: ConstOf,
                      max_elements: int = MAX_ELEMENTS) -> dict[str, np.ndarray] | None:
    """Outputs of ``node`` if all its inputs are constants and its kernel runs, else None."""
    used = [i for i in node.inputs if i]
    if not used or node.op_type in NONDETERMINISTIC or not has_op(node.op_type, node.domain):
        return None
    args = [const_of(i) if i else None for i in node.inputs]
    if any(a is None for a, i in zip(args, node.inputs) if i) or not _outputs_foldable(g, node):
        return None
    try:
        outs = get_op(node.op_type, node.domain).run(node, args)
    except (NotImplementedError, ValueError, TypeError, ArithmeticError, IndexError):
        return None  # the node stays and is computed at run time
    arrays = [np.asarray(a) for a in outs]
    if sum(a.size for a in arrays) > max_elements:
        return None
    return {o: a for o, a in zip(node.outputs, arrays) if o}


def static_shape_value(g: Graph, node: Node) -> dict[str, np.ndarray] | None:
    """``Shape`` / ``Size`` of a statically shaped value, as a constant."""
    if node.op_type not in ("Shape", "Size") or node.domain or not node.inputs:
        return None
    shape = static_shape(g, node.inputs[0])
    if shape is None or not _outputs_foldable(g, node):
        return None
    if node.op_type == "Size":
        return {node.outputs[0]: np.array(int(np.prod(shape, dtype=np.int64)), np.int64)}
    rank = len(shape)
    start, end = int(node.attr("start", 0)), node.attr("end")
    start = max(0, min(rank, start + rank if start < 0 else start))
    stop = rank if end is None else int(end)
    stop = max(0, min(rank, stop + rank if stop < 0 else stop))
    return {node.outputs[0]: np.array(shape[start:stop], np.int64)}


@dataclass
class FoldConstantNode:
    """Run a node whose inputs are all constants; its outputs become constants."""

    name: str = "fold_constant_node"
    max_elements: int = MAX_ELEMENTS

    def match(self, g: Graph, node: Node) -> Patch | None:
        outs = run_constant_node(g, node, g.const, self.max_elements)
        return None if outs is None else Patch(remove=[node], consts=outs)


@dataclass
class FoldShape:
    """``Shape`` / ``Size`` of a statically shaped value is a constant."""

    name: str = "fold_shape"

    def match(self, g: Graph, node: Node) -> Patch | None:
        outs = static_shape_value(g, node)
        return None if outs is None else Patch(remove=[node], consts=outs)


class FoldConstants:
    """Pass ``fold_constants``: one sweep in topological order, one Patch."""

    name = "fold_constants"

    def __init__(self, max_elements: int = MAX_ELEMENTS) -> None:
        self.max_elements = max_elements

    def run(self, graph: Graph) -> list[Firing]:
        folded: dict[str, np.ndarray] = {}

        def const_of(name: str) -> np.ndarray | None:
            return folded.get(name, graph.const(name))

        patch, log = Patch(), []
        for node in graph.nodes:
            outs, rule = static_shape_value(graph, node), "fold_shape"
            if outs is None:
                outs = run_constant_node(graph, node, const_of, self.max_elements)
                rule = "fold_constant_node"
            if outs is not None:
                folded.update(outs)
                patch.remove.append(node)
                log.append(Firing(rule, node.name, node.op_type))
        if patch.remove:
            patch.consts = folded
            apply_patch(graph, patch)
        return log
