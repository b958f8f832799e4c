"""fold_constants: evaluate nodes whose inputs are all constant, at compile time.

Each such node runs through its own float kernel (``npukit.ops``) and its
outputs become constants with the same names.  ``Shape`` and ``Size`` of a
value with a static shape fold without running anything, which lets the
Shape → Gather → Concat → Reshape chains exporters emit fold away.
Random ops are never folded; graph outputs stay computed by a node.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from npukit.ir import Graph, Node, Patch
from npukit.ops import get_op, has_op
from npukit.passes.base import RulePass, static_shape

NONDETERMINISTIC = frozenset({"RandomNormal", "RandomUniform", "RandomNormalLike",
                              "RandomUniformLike", "Multinomial", "Bernoulli"})
MAX_ELEMENTS = 1 << 28  # 1 GiB of float32: weight fills of big FC layers still fold


def _outputs_foldable(g: Graph, node: Node) -> bool:
    return bool(node.outputs) and all(o and o not in g.outputs for o in node.outputs)


@dataclass
class FoldConstantNode:
    """Run a node whose inputs are all constants; its outputs become constants."""

    name: str = "fold_constant_node"
    max_elements: int = MAX_ELEMENTS

    def match(self, g: Graph, node: Node) -> Patch | None:
        used = [i for i in node.inputs if i]
        if not used or node.op_type in NONDETERMINISTIC or not has_op(node.op_type, node.domain):
            return None
        if not all(g.const(i) is not None for i in used) or not _outputs_foldable(g, node):
            return None
        args = [g.const(i) if i else None for i in node.inputs]
        try:
            outs = get_op(node.op_type, node.domain).run(node, args)
        except (NotImplementedError, ValueError, TypeError, ArithmeticError):
            return None  # the node stays and is computed at run time
        arrays = [np.asarray(a) for a in outs]
        if sum(a.size for a in arrays) > self.max_elements:
            return None
        consts = {o: a for o, a in zip(node.outputs, arrays) if o}
        return Patch(remove=[node], consts=consts)


@dataclass
class FoldShape:
    """``Shape`` / ``Size`` of a statically shaped value is a constant."""

    name: str = "fold_shape"

    def match(self, g: Graph, node: Node) -> Patch | None:
        if node.op_type not in ("Shape", "Size") or node.domain or not node.inputs:
            return None
        shape = static_shape(g, node.inputs[0])
        if shape is None or not _outputs_foldable(g, node):
            return None
        if node.op_type == "Size":
            value = np.array(int(np.prod(shape, dtype=np.int64)), np.int64)
        else:
            rank = len(shape)
            start = int(node.attr("start", 0))
            end = node.attr("end")
            start = max(0, min(rank, start + rank if start < 0 else start))
            stop = rank if end is None else int(end)
            stop = max(0, min(rank, stop + rank if stop < 0 else stop))
            value = np.array(shape[start:stop], np.int64)
        return Patch(remove=[node], consts={node.outputs[0]: value})


class FoldConstants(RulePass):
    """Pass ``fold_constants``."""

    def __init__(self, max_elements: int = MAX_ELEMENTS) -> None:
        super().__init__("fold_constants", [FoldShape(), FoldConstantNode(
            max_elements=max_elements)])
