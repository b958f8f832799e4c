"""NPU support as a list of small predicates returning ``(ok, reason)``.

The same :data:`CONSTRAINTS` list drives placement (``npu_supports``), the
fallback report (``check_node``), the generated ``docs/supported-ops.md``
(``conditions``) and one test each.  To add a rule: write
``constraint_<what>(node, graph, target)`` with the ``@constraint`` decorator
in the module of its concern, and append it here.
"""

from __future__ import annotations

from npukit.ir import Graph, Node
from npukit.targets.constraints.base import Constraint, Result, constraint
from npukit.targets.constraints.dtypes import constraint_dtype, constraint_float_on_int_npu
from npukit.targets.constraints.op_support import constraint_op_supported, op_on_npu
from npukit.targets.constraints.shapes import (
    constraint_batch,
    constraint_rank,
    constraint_static_shape,
    constraint_transpose_hw,
)
from npukit.targets.constraints.window import (
    constraint_channels,
    constraint_dilation,
    constraint_kernel_size,
    constraint_stride,
)
from npukit.targets.schema import TargetProfile

CONSTRAINTS: list[Constraint] = [
    constraint_op_supported,
    constraint_dtype,
    constraint_float_on_int_npu,
    constraint_static_shape,
    constraint_rank,
    constraint_batch,
    constraint_kernel_size,
    constraint_stride,
    constraint_dilation,
    constraint_channels,
    constraint_transpose_hw,
]


def check_node(node: Node, graph: Graph, target: TargetProfile) -> list[tuple[str, bool, str]]:
    """Every constraint's verdict on ``node``: ``[(name, ok, reason), …]`` in list order."""
    return [(c.name, *c(node, graph, target)) for c in CONSTRAINTS]


def npu_supports(node: Node, graph: Graph, target: TargetProfile) -> tuple[bool, list[str]]:
    """``(ok, reasons)``: ok when every constraint passes; reasons are the failures' sentences."""
    failed = [reason for _, ok, reason in check_node(node, graph, target) if not ok]
    return not failed, failed


def conditions(op_type: str, target: TargetProfile) -> list[str]:
    """Op-specific conditions (kernel ≤ 31 …) for the supported-ops table."""
    out = []
    for c in CONSTRAINTS:
        text = None if c.general else c.describe(op_type, target)
        if text:
            out.append(text)
    return out


def general_conditions(target: TargetProfile) -> list[str]:
    """Conditions that hold for every op on ``target`` (dtypes, rank, static shapes …)."""
    out = []
    for c in CONSTRAINTS:
        text = c.describe("", target) if c.general else None
        if text:
            out.append(text)
    return out


__all__ = ["CONSTRAINTS", "Constraint", "Result", "check_node", "conditions", "constraint",
           "general_conditions", "npu_supports", "op_on_npu"] + [c.name for c in CONSTRAINTS]
