"""cancel_transpose_reshape: collapse pairs of layout ops.

``Transpose(Transpose(x, p1), p2)`` is ``Transpose(x, p1∘p2)``, or ``x`` when
that is the identity.  Two reshape-like ops in a row (Reshape, Flatten,
Squeeze, Unsqueeze) are one Reshape to the final shape, or ``x`` when the
final shape is x's own (e.g. ``Squeeze``/``Unsqueeze`` on the same axes).
The inner op stays if something else reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from npukit.ir import Graph, Node, Patch
from npukit.passes.base import RulePass, can_bypass, const_input, fresh, shape_of, static_shape

RESHAPE_LIKE = ("Reshape", "Flatten", "Squeeze", "Unsqueeze")


def _perm(g: Graph, node: Node) -> list[int] | None:
    perm = node.attr("perm")
    if perm is not None:
        return [int(p) for p in perm]
    shape = shape_of(g, node.inputs[0])
    return None if shape is None else list(range(len(shape)))[::-1]


def _pair(g: Graph, node: Node, op_types: tuple[str, ...]) -> Node | None:
    """The producer of ``node``'s input when both are among ``op_types`` (default domain)."""
    if node.domain or node.op_type not in op_types or not node.inputs:
        return None
    inner = g.producer(node.inputs[0])
    if inner is None or inner.domain or inner.op_type not in op_types:
        return None
    return inner


def _patch(g: Graph, node: Node, inner: Node, new: Node | None) -> Patch | None:
    """Replace ``node`` by ``new`` (or by inner's input); drop ``inner`` if only node read it."""
    remove = [node] + ([inner] if len(g.consumers(inner.outputs[0])) == 1
                       and inner.outputs[0] not in g.outputs else [])
    if new is None:
        src = inner.inputs[0]
        if not can_bypass(g, node.outputs[0], src):
            return None
        return Patch(remove=remove, replace={node.outputs[0]: src})
    return Patch(remove=remove, add=[new])


@dataclass
class ComposeTransposes:
    name: str = "compose_transposes"

    def match(self, g: Graph, node: Node) -> Patch | None:
        inner = _pair(g, node, ("Transpose",))
        if inner is None:
            return None
        p1, p2 = _perm(g, inner), _perm(g, node)
        if p1 is None or p2 is None or len(p1) != len(p2):
            return None
        perm = [p1[i] for i in p2]
        if perm == list(range(len(perm))):
            return _patch(g, node, inner, None)
        new = Node(node.name, "Transpose", [inner.inputs[0]], list(node.outputs), {"perm": perm})
        return _patch(g, node, inner, new)


def _squeeze_axes_match(g: Graph, node: Node, inner: Node) -> bool:
    """Unsqueeze∘Squeeze or Squeeze∘Unsqueeze on the same (normalised) explicit axes."""
    if {node.op_type, inner.op_type} != {"Squeeze", "Unsqueeze"}:
        return False
    a, b = const_input(g, inner, 1), const_input(g, node, 1)
    if a is None or b is None:
        return False
    big = inner.outputs[0] if inner.op_type == "Unsqueeze" else inner.inputs[0]
    shape = shape_of(g, big)
    if shape is None:
        return False
    r = len(shape)
    return sorted(int(x) % r for x in a.reshape(-1)) == sorted(int(x) % r for x in b.reshape(-1))


@dataclass
class CollapseReshapes:
    name: str = "collapse_reshapes"

    def match(self, g: Graph, node: Node) -> Patch | None:
        inner = _pair(g, node, RESHAPE_LIKE)
        if inner is None:
            return None
        src, out = shape_of(g, inner.inputs[0]), static_shape(g, node.outputs[0])
        if (src is not None and src == shape_of(g, node.outputs[0])
                and all(isinstance(d, int) for d in src)) or _squeeze_axes_match(g, node, inner):
            return _patch(g, node, inner, None)
        if out is not None:
            shape = np.array(out, np.int64)
        elif node.op_type == "Reshape" and not node.attr("allowzero", 0) \
                and (c := const_input(g, node, 1)) is not None and not np.any(c == 0):
            shape = np.asarray(c, np.int64)
        else:
            return None
        sn = fresh(g, f"{node.name}_shape")
        new = Node(node.name, "Reshape", [inner.inputs[0], sn], list(node.outputs))
        patch = _patch(g, node, inner, new)
        if patch is not None:
            patch.consts[sn] = shape
        return patch


class CancelTransposeReshape(RulePass):
    """Pass ``cancel_transpose_reshape``."""

    def __init__(self) -> None:
        super().__init__("cancel_transpose_reshape", [ComposeTransposes(), CollapseReshapes()])
