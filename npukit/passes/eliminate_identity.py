"""eliminate_identity: drop nodes that provably pass their input through unchanged.

Identity; Dropout in inference (no training_mode, mask unused); and Reshape,
Transpose, Cast, Pad, Slice, Expand, Squeeze, Unsqueeze, Flatten whose
output equals their input: same static shape and dtype (plus, where the
shape alone does not prove it, a check of the op's own parameters).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from npukit.ir import Graph, Node, Patch
from npukit.passes.base import RulePass, can_bypass, const_input, static_shape

_SHAPE_ONLY = ("Reshape", "Expand", "Squeeze", "Unsqueeze", "Flatten")


def bypass(g: Graph, node: Node) -> Patch | None:
    """Remove ``node`` and read its first input wherever its first output was read."""
    out, src = node.outputs[0], node.inputs[0]
    if not src or not can_bypass(g, out, src):
        return None
    return Patch(remove=[node], replace={out: src})


def same_type(g: Graph, node: Node) -> bool:
    """Input 0 and output 0 have the same known dtype and the same static shape."""
    a, b = g.values.get(node.inputs[0]), g.values.get(node.outputs[0])
    if a is None or b is None or a.dtype is None or a.dtype != b.dtype:
        return False
    sa, sb = static_shape(g, a.name), static_shape(g, b.name)
    return sa is not None and sa == sb


@dataclass
class RemoveIdentity:
    name: str = "remove_identity"

    def match(self, g: Graph, node: Node) -> Patch | None:
        if node.op_type != "Identity" or node.domain:
            return None
        return bypass(g, node)


@dataclass
class RemoveDropout:
    """Dropout is the identity in inference unless training_mode is set."""

    name: str = "remove_dropout"

    def match(self, g: Graph, node: Node) -> Patch | None:
        if node.op_type != "Dropout" or node.domain:
            return None
        if len(node.outputs) > 1 and node.outputs[1] and g.is_used(node.outputs[1]):
            return None
        if len(node.inputs) > 2 and node.inputs[2]:
            mode = g.const(node.inputs[2])
            if mode is None or bool(np.asarray(mode).reshape(-1)[0]):
                return None
        return bypass(g, node)


@dataclass
class RemoveNoOp:
    """Reshape-like, Transpose, Cast, Pad, Slice whose output is provably its input."""

    name: str = "remove_noop"

    def match(self, g: Graph, node: Node) -> Patch | None:
        if node.domain or not node.inputs or not same_type(g, node):
            return None
        check = _CHECKS.get(node.op_type)
        if check is None or not check(g, node):
            return None
        return bypass(g, node)


def _transpose(g: Graph, node: Node) -> bool:
    shape = static_shape(g, node.inputs[0]) or ()
    perm = node.attr("perm")
    if perm is None:
        perm = list(range(len(shape)))[::-1]
    # moving only size-1 axes keeps the memory order, hence the values
    moved = [shape[p] for i, p in enumerate(perm) if p != i]
    return all(d == 1 for d in moved)


def _pad(g: Graph, node: Node) -> bool:
    pads = const_input(g, node, 1)
    return pads is not None and not np.any(pads)


def _slice(g: Graph, node: Node) -> bool:
    if len(node.inputs) < 5 or not node.inputs[4]:
        return True  # default steps are 1: same shape means the whole range
    steps = const_input(g, node, 4)
    return steps is not None and bool(np.all(steps == 1))


_CHECKS = {
    **{op: (lambda g, n: True) for op in _SHAPE_ONLY},
    "Cast": lambda g, n: True,
    "CastLike": lambda g, n: True,
    "Transpose": _transpose,
    "Pad": _pad,
    "Slice": _slice,
}


class EliminateIdentity(RulePass):
    """Pass ``eliminate_identity``."""

    def __init__(self) -> None:
        super().__init__("eliminate_identity", [RemoveIdentity(), RemoveDropout(), RemoveNoOp()])
