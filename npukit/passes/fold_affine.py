"""fold_affine: fold per-channel ``Mul`` / ``Add`` by constants into Conv / Gemm weights.

Exporters (Caffe2, some PyTorch paths) write BatchNorm's scale and shift as
separate ``Mul`` and ``Add`` nodes, and ``fold_conv_bn`` turns a lone BN into
the same pair.  This pass first tidies chains of such constants —
``(x·a)·b → x·(ab)``, ``(x+a)+b → x+(a+b)`` and ``(x+t)·s → x·s + t·s`` (so
scales travel towards the producer) — then folds a Mul whose constant varies
only along the output channel into Conv weights / Gemm columns, and such an
Add into the bias.  The Conv can then take its activation (``fuse_activation``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from npukit.ir import Graph, Node, Patch
from npukit.passes.base import RulePass, fresh, only_consumer, shape_of
from npukit.passes.fold_conv_bn import bias_of, refold


def const_operand(g: Graph, node: Node, op_type: str) -> tuple[str, np.ndarray] | None:
    """``(x, c)`` when ``node`` is ``op_type(x, c)`` (either order) with a float constant c."""
    if node.op_type != op_type or node.domain or len(node.inputs) != 2:
        return None
    for k in (0, 1):
        c = g.const(node.inputs[1 - k])
        if c is not None and c.dtype.kind == "f" and g.const(node.inputs[k]) is None:
            return node.inputs[k], c
    return None


def channel_vector(c: np.ndarray, shape: tuple | None, axis: int) -> np.ndarray | None:
    """``c`` as one value per channel if it broadcasts only along ``axis`` of ``shape``."""
    if not shape or c.ndim > len(shape) or not isinstance(shape[axis % len(shape)], int):
        return None
    axis %= len(shape)
    n, full = shape[axis], (1,) * (len(shape) - c.ndim) + tuple(c.shape)
    if any(d != 1 for i, d in enumerate(full) if i != axis) or full[axis] not in (1, n):
        return None
    return np.broadcast_to(np.asarray(c, np.float64).reshape(-1), (n,)).copy()


@dataclass
class MergeConstChain:
    """``op(op(x, a), b)`` → ``op(x, a ∘ b)`` for op in Mul / Add."""

    name: str = "merge_const_chain"

    def match(self, g: Graph, node: Node) -> Patch | None:
        for op, fn in (("Mul", np.multiply), ("Add", np.add)):
            outer = const_operand(g, node, op)
            inner = None if outer is None else g.producer(outer[0])
            pair = None if inner is None else const_operand(g, inner, op)
            if outer is None or inner is None or pair is None \
                    or not only_consumer(g, outer[0], node):
                continue
            cn = fresh(g, f"{node.name}_const")
            new = Node(node.name, op, [pair[0], cn], list(node.outputs))
            return Patch(remove=[inner, node], add=[new], consts={cn: fn(pair[1], outer[1])})
        return None


@dataclass
class SwapAddMul:
    """``(x + t)·s`` → ``x·s + t·s``: moves the scale next to whatever made x."""

    name: str = "swap_add_mul"

    def match(self, g: Graph, node: Node) -> Patch | None:
        mul = const_operand(g, node, "Mul")
        add = None if mul is None else g.producer(mul[0])
        shift = None if add is None else const_operand(g, add, "Add")
        if mul is None or add is None or shift is None or not only_consumer(g, mul[0], node):
            return None
        taken: set[str] = set()
        sn, tn = fresh(g, f"{node.name}_scale", taken), fresh(g, f"{add.name}_shift", taken)
        mid = fresh(g, f"{node.name}_scaled", taken)
        return Patch(remove=[add, node], consts={sn: mul[1], tn: shift[1] * mul[1]},
                     add=[Node(node.name, "Mul", [shift[0], sn], [mid]),
                          Node(add.name, "Add", [mid, tn], list(node.outputs))])


def _producer(g: Graph, node: Node, x: str) -> Node | None:
    p = g.producer(x)
    if p is None or p.domain or p.op_type not in ("Conv", "Gemm") or "activation" in p.attrs:
        return None
    if not only_consumer(g, x, node) or g.const(p.inputs[1]) is None:
        return None
    if len(p.inputs) > 2 and p.inputs[2] and g.const(p.inputs[2]) is None:
        return None
    return p


@dataclass
class FoldIntoProducer:
    """Per-channel ``Mul`` into Conv / Gemm weights and bias; per-channel ``Add`` into the bias."""

    name: str = "fold_affine"

    def match(self, g: Graph, node: Node) -> Patch | None:
        for op in ("Mul", "Add"):
            found = const_operand(g, node, op)
            p = None if found is None else _producer(g, node, found[0])
            if p is None or found is None:
                continue
            axis = 1 if p.op_type == "Conv" else -1
            vec = channel_vector(found[1], shape_of(g, found[0]), axis)
            if vec is not None:
                return _fold(g, p, node, op, vec)
        return None


def _fold(g: Graph, p: Node, node: Node, op: str, vec: np.ndarray) -> Patch:
    w = np.asarray(g.const(p.inputs[1]), np.float64)
    beta = float(p.attr("beta", 1.0)) if p.op_type == "Gemm" else 1.0
    bias = bias_of(g, p, len(vec)) * beta
    attrs = {**p.attrs, "beta": 1.0} if p.op_type == "Gemm" else None
    if op == "Add":
        return refold(g, p, node, w, bias + vec, attrs)
    if p.op_type == "Conv":
        w = w * vec.reshape((-1,) + (1,) * (w.ndim - 1))
    else:
        w = w * (vec[:, None] if int(p.attr("transB", 0)) else vec[None, :])
    return refold(g, p, node, w, bias * vec, attrs)


class FoldAffine(RulePass):
    """Pass ``fold_affine``."""

    def __init__(self) -> None:
        super().__init__("fold_affine", [MergeConstChain(), SwapAddMul(), FoldIntoProducer()])
