"""Tensor shapes: static shapes, rank, batch, and the Transpose H×W limit."""

from __future__ import annotations

from math import prod

from npukit.ir import Graph, Node
from npukit.targets.constraints.base import Result, constraint, dims, no_limit, tensors, who
from npukit.targets.schema import TargetProfile


def _describe_static(op_type: str, target: TargetProfile) -> str | None:
    return None if target.ops.dynamic_shapes else "shapes must be static"


@constraint(_describe_static, general=True)
def constraint_static_shape(node: Node, graph: Graph, target: TargetProfile) -> Result:
    """Without dynamic-shape support every tensor's shape must be known and static."""
    if target.ops.dynamic_shapes:
        return True, f"{who(node)}: {target.name} runs dynamic shapes"
    for v in tensors(node, graph):
        if not v.is_static:
            shape = "unknown" if v.shape is None else f"[{', '.join(map(str, v.shape))}]"
            return False, (f"{who(node)}: tensor {v.name!r} has shape {shape}, but "
                           f"{target.name}'s NPU runs static shapes only; fix the input shapes "
                           "(e.g. --input-shape) or the node runs on the CPU")
    return True, f"{who(node)}: all shapes are static"


def _describe_rank(op_type: str, target: TargetProfile) -> str | None:
    r = target.ops.rank_max
    return None if no_limit(r) else f"tensor rank ≤ {r}"


@constraint(_describe_rank, general=True)
def constraint_rank(node: Node, graph: Graph, target: TargetProfile) -> Result:
    """Tensor rank within the target's ``ops.rank_max``."""
    limit = target.ops.rank_max
    for v in tensors(node, graph):
        if not no_limit(limit) and v.shape is not None and len(v.shape) > limit:
            return False, (f"{who(node)}: tensor {v.name!r} has rank {len(v.shape)}, above "
                           f"{target.name}'s limit of {limit}; the node runs on the CPU")
    return True, f"{who(node)}: tensor ranks within {target.name}'s limit"


def _describe_batch(op_type: str, target: TargetProfile) -> str | None:
    b = target.ops.batch_max
    return None if no_limit(b) else f"batch (first dim) ≤ {b}"


@constraint(_describe_batch, general=True)
def constraint_batch(node: Node, graph: Graph, target: TargetProfile) -> Result:
    """Batch (the first dim of tensors of rank ≥ 2) within ``ops.batch_max``."""
    limit = target.ops.batch_max
    for v in tensors(node, graph):
        if no_limit(limit) or v.shape is None or len(v.shape) < 2:
            continue
        n = v.shape[0]
        if isinstance(n, int) and n > limit:
            return False, (f"{who(node)}: tensor {v.name!r} has batch {n}, above "
                           f"{target.name}'s limit of {limit}; split the batch or the node "
                           "runs on the CPU")
    return True, f"{who(node)}: batch within {target.name}'s limit"


def _describe_transpose(op_type: str, target: TargetProfile) -> str | None:
    hw = target.ops.transpose_max_hw
    return None if op_type != "Transpose" or no_limit(hw) else f"H×W ≤ {hw}"


@constraint(_describe_transpose)
def constraint_transpose_hw(node: Node, graph: Graph, target: TargetProfile) -> Result:
    """A Transpose's input H×W (its last two dims) within ``ops.transpose_max_hw``."""
    limit = target.ops.transpose_max_hw
    if node.op_type != "Transpose" or no_limit(limit):
        return True, f"{who(node)}: no Transpose size limit applies on {target.name}"
    v = graph.values.get(node.inputs[0]) if node.inputs else None
    if v is None or v.shape is None or len(v.shape) < 2:
        return True, f"{who(node)}: input rank unknown; Transpose H×W limit not checked"
    hw = v.shape[-2:]
    if all(isinstance(d, int) for d in hw) and prod(hw) > limit:
        return False, (f"{who(node)}: Transpose of H×W = {dims(hw)} = {prod(hw)} exceeds "
                       f"{target.name}'s limit of {limit}; it runs on the CPU")
    return True, f"{who(node)}: Transpose H×W within {target.name}'s limit of {limit}"
