"""fold_conv_bn: fold an inference BatchNormalization into the Conv / Gemm before it.

BN computes ``y = x·s + t`` per channel with ``s = scale / sqrt(var + eps)``
and ``t = bias − mean·s``; after ``Conv(x, W, b)`` that is ``Conv(x, W·s,
b·s + t)`` (per output channel).  The same holds for Gemm (scale B's output
columns, fold into C) and for a group-1 ConvTranspose.  A BN after anything
else becomes ``Mul`` + ``Add`` by per-channel constants.  Folding is done in
float64 and cast back to the weights' dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from npukit.ir import Graph, Node, Patch
from npukit.passes.base import RulePass, const_input, fresh, only_consumer, shape_of


def bn_affine(g: Graph, bn: Node) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-channel ``(s, t)`` of an inference BN with constant parameters, else None."""
    if bn.op_type != "BatchNormalization" or bn.domain or int(bn.attr("training_mode", 0)):
        return None
    if any(o and g.is_used(o) for o in bn.outputs[1:]):
        return None
    params = [const_input(g, bn, k) for k in range(1, 5)]
    if any(p is None for p in params):
        return None
    scale, bias, mean, var = (np.asarray(p, np.float64) for p in params)  # type: ignore[arg-type]
    s = scale / np.sqrt(var + float(bn.attr("epsilon", 1e-5)))
    return s, bias - mean * s


def _fold_target(g: Graph, bn: Node, op_types: tuple[str, ...]) -> Node | None:
    p = g.producer(bn.inputs[0])
    if p is None or p.domain or p.op_type not in op_types or "activation" in p.attrs:
        return None
    if not only_consumer(g, bn.inputs[0], bn) or const_input(g, p, 1) is None:
        return None
    if len(p.inputs) > 2 and p.inputs[2] and const_input(g, p, 2) is None:
        return None
    return p


def refold(g: Graph, p: Node, bn: Node, w: np.ndarray, c: np.ndarray,
           attrs: dict | None = None) -> Patch:
    """Replace ``p`` and its reader ``bn`` by ``p`` with weights ``w`` and bias ``c``,
    writing ``bn``'s output.  Constants only ``p`` reads keep their names."""
    taken: set[str] = set()
    old_b = p.inputs[2] if len(p.inputs) > 2 else ""
    wn = _own_const(g, p, p.inputs[1]) or fresh(g, f"{p.inputs[1]}_folded", taken)
    cn = _own_const(g, p, old_b) or fresh(g, f"{p.name}_bias", taken)
    dt = g.const(p.inputs[1]).dtype  # type: ignore[union-attr]
    node = Node(p.name, p.op_type, [p.inputs[0], wn, cn], [bn.outputs[0]],
                dict(p.attrs if attrs is None else attrs), p.domain)
    return Patch(remove=[p, bn], add=[node], consts={wn: w.astype(dt), cn: c.astype(dt)})


def _own_const(g: Graph, p: Node, name: str) -> str | None:
    """``name`` if it is a constant read by ``p`` alone (so it can be rewritten in place)."""
    if not name or g.const(name) is None or name in g.outputs:
        return None
    return name if all(n is p for n in g.consumers(name)) else None


def bias_of(g: Graph, p: Node, n: int) -> np.ndarray:
    b = const_input(g, p, 2)
    return np.zeros(n) if b is None else np.asarray(b, np.float64)


@dataclass
class FoldConvBnRule:
    name: str = "fold_conv_bn"

    def match(self, g: Graph, node: Node) -> Patch | None:
        st = bn_affine(g, node)
        p = None if st is None else _fold_target(g, node, ("Conv",))
        if p is None or st is None:
            return None
        s, t = st
        w = np.asarray(g.const(p.inputs[1]), np.float64)
        w = w * s.reshape((-1,) + (1,) * (w.ndim - 1))
        return refold(g, p, node, w, bias_of(g, p, len(s)) * s + t)


@dataclass
class FoldConvTransposeBn:
    """Group-1 ConvTranspose: weights are (C_in, C_out, *k), scale axis 1."""

    name: str = "fold_conv_transpose_bn"

    def match(self, g: Graph, node: Node) -> Patch | None:
        st = bn_affine(g, node)
        p = None if st is None else _fold_target(g, node, ("ConvTranspose",))
        if p is None or st is None or int(p.attr("group", 1)) != 1:
            return None
        s, t = st
        w = np.asarray(g.const(p.inputs[1]), np.float64)
        w = w * s.reshape((1, -1) + (1,) * (w.ndim - 2))
        return refold(g, p, node, w, bias_of(g, p, len(s)) * s + t)


@dataclass
class FoldGemmBn:
    """Gemm: ``alpha·A·B·s + (beta·C·s + t)``; the new C carries beta, so beta becomes 1."""

    name: str = "fold_gemm_bn"

    def match(self, g: Graph, node: Node) -> Patch | None:
        st = bn_affine(g, node)
        p = None if st is None else _fold_target(g, node, ("Gemm",))
        if p is None or st is None:
            return None
        s, t = st
        b = np.asarray(g.const(p.inputs[1]), np.float64)
        b = b * (s[:, None] if int(p.attr("transB", 0)) else s[None, :])
        c = bias_of(g, p, len(s)) * float(p.attr("beta", 1.0)) * s + t
        return refold(g, p, node, b, c, {**p.attrs, "beta": 1.0})


@dataclass
class DecomposeBn:
    """Any other inference BN on a tensor of known rank: ``Add(Mul(x, s), t)``."""

    name: str = "decompose_batchnorm"

    def match(self, g: Graph, node: Node) -> Patch | None:
        st = bn_affine(g, node)
        shape = shape_of(g, node.inputs[0])
        if st is None or shape is None or len(shape) < 2:
            return None
        dt = g.values[node.inputs[0]].dtype or "float32"
        taken: set[str] = set()
        sn, tn = fresh(g, f"{node.name}_scale", taken), fresh(g, f"{node.name}_shift", taken)
        mid = fresh(g, f"{node.name}_scaled", taken)
        bshape = (-1,) + (1,) * (len(shape) - 2)
        mul = Node(fresh(g, f"{node.name}_mul", taken), "Mul", [node.inputs[0], sn], [mid])
        add = Node(node.name, "Add", [mid, tn], [node.outputs[0]])
        consts = {sn: st[0].reshape(bshape).astype(dt), tn: st[1].reshape(bshape).astype(dt)}
        return Patch(remove=[node], add=[mul, add], consts=consts)


class FoldConvBn(RulePass):
    """Pass ``fold_conv_bn``."""

    def __init__(self, decompose: bool = True) -> None:
        rules: list = [FoldConvBnRule(), FoldConvTransposeBn(), FoldGemmBn()]
        super().__init__("fold_conv_bn", rules + ([DecomposeBn()] if decompose else []))
