"""Windowed ops (Conv, ConvTranspose, pools): kernel, stride, dilation, channels."""

from __future__ import annotations

from typing import Callable

from npukit.ir import Graph, Node
from npukit.targets.constraints.base import Result, constraint, dims, no_limit, who
from npukit.targets.schema import TargetProfile

CONV_OPS = frozenset({"Conv", "ConvTranspose", "ConvInteger", "QLinearConv"})
POOL_OPS = frozenset({"MaxPool", "AveragePool", "LpPool", "MaxUnpool"})
WINDOW_OPS = CONV_OPS | POOL_OPS


def _weight_shape(node: Node, graph: Graph) -> tuple | None:
    idx = 3 if node.op_type == "QLinearConv" else 1
    if len(node.inputs) <= idx or not node.inputs[idx]:
        return None
    v = graph.values.get(node.inputs[idx])
    return None if v is None else v.shape


def kernel_of(node: Node, graph: Graph) -> list[int]:
    """Kernel extent per spatial axis (attribute, else the weight shape)."""
    ks = node.attr("kernel_shape")
    if ks:
        return [int(k) for k in ks]
    w = _weight_shape(node, graph) if node.op_type in CONV_OPS else None
    return [d for d in w[2:] if isinstance(d, int)] if w else []


def _describe(what: str, limit_of: Callable[[TargetProfile], int]) -> Callable:
    def describe(op_type: str, target: TargetProfile) -> str | None:
        lim = limit_of(target)
        return None if op_type not in WINDOW_OPS or no_limit(lim) else f"{what} ≤ {lim}"
    return describe


def _per_axis(node: Node, target: TargetProfile, what: str, values: list[int],
              limit: int) -> Result:
    if node.op_type not in WINDOW_OPS or no_limit(limit) or not values:
        return True, f"{who(node)}: no {what} limit applies on {target.name}"
    if max(values) > limit:
        return False, (f"{who(node)}: {what} {dims(values)} exceeds {target.name}'s limit of "
                       f"{limit} per axis; the node runs on the CPU")
    return True, f"{who(node)}: {what} {dims(values)} within {target.name}'s limit of {limit}"


@constraint(_describe("kernel", lambda t: t.ops.kernel_max))
def constraint_kernel_size(node: Node, graph: Graph, target: TargetProfile) -> Result:
    """Kernel extent per axis within ``ops.kernel_max`` (Conv, ConvTranspose, pools)."""
    return _per_axis(node, target, "kernel", kernel_of(node, graph), target.ops.kernel_max)


@constraint(_describe("stride", lambda t: t.ops.stride_max))
def constraint_stride(node: Node, graph: Graph, target: TargetProfile) -> Result:
    """Stride per axis within ``ops.stride_max`` (Conv, ConvTranspose, pools)."""
    strides = [int(s) for s in node.attr("strides") or []]
    return _per_axis(node, target, "stride", strides, target.ops.stride_max)


@constraint(_describe("dilation", lambda t: t.ops.dilation_max))
def constraint_dilation(node: Node, graph: Graph, target: TargetProfile) -> Result:
    """Dilation per axis within ``ops.dilation_max`` (Conv, ConvTranspose, pools)."""
    dil = [int(d) for d in node.attr("dilations") or []]
    return _per_axis(node, target, "dilation", dil, target.ops.dilation_max)


def _describe_channels(op_type: str, target: TargetProfile) -> str | None:
    lim = target.ops.channels_max
    return None if op_type not in CONV_OPS or no_limit(lim) else f"channels ≤ {lim}"


@constraint(_describe_channels)
def constraint_channels(node: Node, graph: Graph, target: TargetProfile) -> Result:
    """Input and output channel counts of a convolution within ``ops.channels_max``."""
    limit = target.ops.channels_max
    w = _weight_shape(node, graph) if node.op_type in CONV_OPS else None
    if no_limit(limit) or w is None or len(w) < 2:
        return True, f"{who(node)}: no channel limit applies on {target.name}"
    group = int(node.attr("group", 1))
    if node.op_type == "ConvTranspose":
        cin, cout = w[0], w[1] * group if isinstance(w[1], int) else w[1]
    else:
        cin, cout = w[1] * group if isinstance(w[1], int) else w[1], w[0]
    for what, c in (("input", cin), ("output", cout)):
        if isinstance(c, int) and c > limit:
            return False, (f"{who(node)}: {c} {what} channels exceed {target.name}'s limit of "
                           f"{limit}; split the layer or it runs on the CPU")
    return True, f"{who(node)}: channels within {target.name}'s limit of {limit}"
