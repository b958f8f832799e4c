"""Element types: may these tensors live on the NPU at all?"""

from __future__ import annotations

from npukit.ir import Graph, Node
from npukit.ir.dtypes import FLOATS
from npukit.targets.constraints.base import Result, constraint, tensors, who
from npukit.targets.schema import TargetProfile

_FLOATS = FLOATS | {"bfloat16"}


def _int_types(target: TargetProfile) -> list[str]:
    return sorted(d for d in target.npu_dtypes() if d not in _FLOATS)


def _describe_dtype(op_type: str, target: TargetProfile) -> str | None:
    return ("integer tensors must be " + "/".join(_int_types(target))
            + " (other integer and bool tensors run on the CPU)")


@constraint(_describe_dtype, general=True)
def constraint_dtype(node: Node, graph: Graph, target: TargetProfile) -> Result:
    """Every non-float tensor the node reads or writes has a dtype the NPU holds."""
    allowed = target.npu_dtypes()
    for v in tensors(node, graph):
        if v.dtype is None or v.dtype in _FLOATS:
            continue
        if v.dtype not in allowed:
            return False, (f"{who(node)}: tensor {v.name!r} is {v.dtype}, which "
                           f"{target.name}'s NPU does not hold (it holds "
                           f"{', '.join(sorted(allowed))}); the node runs on the CPU")
    return True, f"{who(node)}: tensor dtypes are ones {target.name}'s NPU holds"


def _describe_float(op_type: str, target: TargetProfile) -> str | None:
    if target.numerics.float_on_npu:
        floats = [d for d in target.numerics.activation_dtypes if d in ("fp16", "bf16", "tf32")]
        return "float tensors run as " + "/".join(floats)
    return "integer-only NPU: float nodes (not quantized) run on the CPU"


@constraint(_describe_float, general=True)
def constraint_float_on_int_npu(node: Node, graph: Graph, target: TargetProfile) -> Result:
    """A node computing in float runs on the NPU only if the NPU has a float path."""
    floats = [v for v in tensors(node, graph) if v.dtype in _FLOATS]
    if floats and not target.numerics.float_on_npu:
        return False, (f"{who(node)} computes in {floats[0].dtype} (tensor "
                       f"{floats[0].name!r}) but {target.name}'s NPU is integer-only; "
                       "quantize the model, or the node runs on the CPU")
    if floats:
        return True, f"{who(node)}: {target.name}'s NPU has a float path"
    return True, f"{who(node)}: no float tensors"
