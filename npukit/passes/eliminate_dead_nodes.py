"""eliminate_dead_nodes: remove nodes none of whose outputs is read or is a graph output.

Runs to a fixed point, so whole dead branches go; constants only they read
are dropped with them (``apply_patch`` removes orphan values).
"""

from __future__ import annotations

from dataclasses import dataclass

from npukit.ir import Graph, Node, Patch
from npukit.passes.base import RulePass


@dataclass
class RemoveDeadNode:
    name: str = "remove_dead_node"

    def match(self, g: Graph, node: Node) -> Patch | None:
        if any(o and g.is_used(o) for o in node.outputs):
            return None
        return Patch(remove=[node])


class EliminateDeadNodes(RulePass):
    """Pass ``eliminate_dead_nodes``."""

    def __init__(self) -> None:
        super().__init__("eliminate_dead_nodes", [RemoveDeadNode()])
