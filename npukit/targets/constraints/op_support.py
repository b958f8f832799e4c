"""Is the op present on the NPU at all?"""

from __future__ import annotations

from npukit.ir import Graph, Node
from npukit.targets.constraints.base import Result, constraint, who
from npukit.targets.schema import TargetProfile


def op_on_npu(op_type: str, domain: str, target: TargetProfile) -> bool:
    """True when the profile lets ``op_type`` run on the NPU (limits aside)."""
    if domain not in ("", "ai.onnx"):
        return False
    lim = target.ops
    return op_type not in lim.unsupported and (not lim.supported or op_type in lim.supported)


def _describe(op_type: str, target: TargetProfile) -> str | None:
    return None  # the table's placement column says it


@constraint(_describe)
def constraint_op_supported(node: Node, graph: Graph, target: TargetProfile) -> Result:
    """The op type is one the target's NPU runs (not listed unsupported, allowed if listed)."""
    if node.domain not in ("", "ai.onnx"):
        return False, (f"{who(node)} is a custom-domain op; {target.name}'s NPU runs only "
                       "standard ONNX ops, so it runs on the CPU")
    if node.op_type in target.ops.unsupported:
        return False, (f"{who(node)}: {node.op_type} is not supported by {target.name}'s NPU "
                       "(listed in the profile's ops.unsupported); it runs on the CPU")
    if target.ops.supported and node.op_type not in target.ops.supported:
        return False, (f"{who(node)}: {node.op_type} is not among the ops {target.name}'s NPU "
                       "runs (the profile's ops.supported); it runs on the CPU")
    return True, f"{who(node)}: {node.op_type} is supported by {target.name}'s NPU"
