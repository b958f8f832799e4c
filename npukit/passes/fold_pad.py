"""fold_pad: fold a constant ``Pad`` into the ``pads`` of the Conv or pool that reads it.

Only spatial padding folds (N and C pads must be 0), only ``mode=constant``
with non-negative pads, and only into a node with ``auto_pad=NOTSET``:

* Conv: pad value 0.
* AveragePool: pad value 0 and ``count_include_pad=1`` (padded zeros count in
  the mean either way), ``ceil_mode=0``.
* MaxPool: pad value −inf, or 0 when the input is provably ≥ 0 (then an
  explicit zero never beats a real element of the window).

Pools keep ONNX Runtime's rule that each pad is smaller than the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from npukit.ir import Graph, Node, Patch
from npukit.passes.base import RulePass, const_input, scalar_const, shape_of

NONNEGATIVE_OPS = ("Relu", "Sigmoid", "Abs", "Softmax", "Exp")


def full_pads(g: Graph, pad: Node) -> list[int] | None:
    """Pad's pads as ``[b_0..b_{r-1}, e_0..e_{r-1}]`` over all axes, or None if unknown."""
    pads = const_input(g, pad, 1)
    shape = shape_of(g, pad.inputs[0])
    if pads is None or shape is None:
        return None
    r = len(shape)
    flat = [int(x) for x in pads.reshape(-1)]
    axes = const_input(g, pad, 3)
    if axes is None:
        if len(pad.inputs) > 3 and pad.inputs[3]:
            return None
        return flat if len(flat) == 2 * r else None
    full = [0] * (2 * r)
    ax = [int(a) % r for a in axes.reshape(-1)]
    for i, a in enumerate(ax):
        full[a], full[r + a] = flat[i], flat[len(ax) + i]
    return full


def nonnegative(g: Graph, value: str) -> bool:
    """``value`` is provably ≥ 0 everywhere (made by a non-negative activation)."""
    p = g.producer(value)
    if p is None or p.domain:
        return False
    if p.op_type in NONNEGATIVE_OPS:
        return True
    if p.op_type == "Clip":
        lo = scalar_const(g, p.inputs[1]) if len(p.inputs) > 1 else None
        return lo is not None and lo >= 0
    act = p.attr("activation")
    params = p.attr("activation_params") or []
    return act in ("Relu", "Sigmoid") or (act == "Clip" and bool(params) and params[0] >= 0)


def _pool_ok(node: Node, pads: list[int]) -> bool:
    k = [int(x) for x in node.attr("kernel_shape", [])]
    n = len(k)
    return len(pads) == 2 * n and all(pads[i] < k[i] and pads[n + i] < k[i] for i in range(n))


def _accepts(g: Graph, node: Node, value: float, pad_in: str) -> bool:
    if node.op_type == "Conv":
        return value == 0.0
    if node.op_type == "AveragePool":
        return value == 0.0 and int(node.attr("count_include_pad", 0)) == 1 \
            and not int(node.attr("ceil_mode", 0))
    if node.op_type == "MaxPool":
        if len(node.outputs) > 1 and node.outputs[1] and g.is_used(node.outputs[1]):
            return False
        return value == -np.inf or (value == 0.0 and nonnegative(g, pad_in))
    return False


@dataclass
class FoldPadRule:
    name: str = "fold_pad"

    def match(self, g: Graph, node: Node) -> Patch | None:
        if node.domain or node.op_type not in ("Conv", "AveragePool", "MaxPool"):
            return None
        pad = g.producer(node.inputs[0])
        if pad is None or pad.op_type != "Pad" or pad.domain:
            return None
        if pad.attr("mode", "constant") != "constant" or node.attr("auto_pad", "NOTSET") \
                not in ("NOTSET", "") or len(g.consumers(pad.outputs[0])) != 1 \
                or pad.outputs[0] in g.outputs:
            return None
        full = full_pads(g, pad)
        has_value = len(pad.inputs) > 2 and bool(pad.inputs[2])
        value = scalar_const(g, pad.inputs[2]) if has_value else 0.0
        if full is None or value is None or min(full) < 0 or not _accepts(
                g, node, value, pad.inputs[0]):
            return None
        r = len(full) // 2
        if full[0] or full[1] or full[r] or full[r + 1]:
            return None
        old = [int(x) for x in node.attr("pads", [0] * (2 * (r - 2)))]
        new_pads = [a + b for a, b in zip(old, full[2:r] + full[r + 2:])]
        if node.op_type != "Conv" and not _pool_ok(node, new_pads):
            return None
        new = Node(node.name, node.op_type, [pad.inputs[0]] + node.inputs[1:],
                   list(node.outputs), {**node.attrs, "pads": new_pads}, node.domain)
        return Patch(remove=[pad, node], add=[new])


class FoldPad(RulePass):
    """Pass ``fold_pad``."""

    def __init__(self) -> None:
        super().__init__("fold_pad", [FoldPadRule()])
