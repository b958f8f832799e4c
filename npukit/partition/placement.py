"""NPU / CPU placement of a quantized graph, with a reason for every node.

A node runs on the NPU when every constraint of the target passes *and* its
op lowers to an integer kernel; otherwise it runs on the CPU in float, and
the placement says which constraint (or the lowering) sent it there.  User
overrides (``cpu=`` / ``npu=``, by node name or op type) win, except that
forcing onto the NPU a node the target or the lowering cannot run raises.

Constraints are checked on a *storage-typed* view of the graph: a value with
QuantParams is seen as its integer dtype, since that is what the NPU holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from npukit.errors import NpukitError
from npukit.ir import Graph, Node
from npukit.ops import LowerContext, get_op
from npukit.partition.overrides import resolve
from npukit.partition.report import Segment, format_placement, segments
from npukit.program import Program
from npukit.sim.lower import lower
from npukit.targets import TargetProfile, load_target, npu_supports

PLACEMENT_VERSION = 1


@dataclass(frozen=True)
class NodePlacement:
    """Where one user node runs and why; ``by`` says who decided."""

    node: str
    op_type: str
    engine: str          # "npu" | "cpu"
    reason: str
    by: str              # "target" | "lowering" | "user" | "precision"

    def to_json(self) -> dict[str, str]:
        return {"node": self.node, "op_type": self.op_type, "engine": self.engine,
                "reason": self.reason, "by": self.by}


@dataclass
class Placement:
    """Every node's engine, the program lowered with it, segments and transfers."""

    target: str
    nodes: list[NodePlacement]
    program: Program

    @property
    def force_float(self) -> dict[str, str]:
        """The ``lower(..., force_float=...)`` map: CPU nodes → reason."""
        return {n.node: n.reason for n in self.nodes if n.engine == "cpu"}

    def engine_of(self, node: str) -> str:
        for n in self.nodes:
            if n.node == node:
                return n.engine
        raise KeyError(node)

    @property
    def segments(self) -> list[Segment]:
        return segments(self.program)

    @property
    def transfers(self) -> dict[str, int]:
        kinds = [r.kernel for r in self.program.records]
        return {"quantize": kinds.count("Quantize"), "dequantize": kinds.count("Dequantize")}

    def counts(self) -> dict[str, int]:
        return {e: sum(n.engine == e for n in self.nodes) for e in ("npu", "cpu")}

    def format(self) -> str:
        return format_placement(self)

    def to_json(self) -> dict[str, Any]:
        return {"version": PLACEMENT_VERSION, "target": self.target,
                "nodes": [n.to_json() for n in self.nodes], "counts": self.counts(),
                "segments": [s.to_json() for s in self.segments],
                "transfers": self.transfers}


def storage_typed(g: Graph) -> Graph:
    """A copy whose quantized values show their integer dtype (what the NPU holds)."""
    t = g.copy()
    for v in t.values.values():
        if v.quant is not None and v.const is None:
            v.dtype = v.quant.dtype
    return t


def place(graph: Graph, target: str | TargetProfile, *, cpu: Iterable[str] = (),
          npu: Iterable[str] = (), keep_float: Mapping[str, str] | None = None,
          fp16: Mapping[str, str] | None = None, rounding: str | None = None) -> Placement:
    """Assign every node of quantized ``graph`` to the NPU or the CPU, with its reason.

    ``keep_float`` maps nodes the quantizer left in float (mixed precision) to
    why, ``fp16`` those it set to float16 (they run on the NPU's float unit, or
    raise when the target has none); ``rounding`` defaults to the target's
    requantization rounding mode.
    """
    t = load_target(target)
    forced = resolve(graph, cpu, npu)
    typed = storage_typed(graph)
    keep = dict(keep_float or {})
    half = {n: _fp16_reason(graph.node(n), t, why) for n, why in (fp16 or {}).items()
            if forced.get(n, ("",))[0] != "cpu"}
    decided = [_fp16_placement(node, half[node.name]) if node.name in half else
               _decide(node, typed, t, forced.get(node.name), keep.get(node.name))
               for node in graph.nodes]
    ff = {d.node: d.reason for d in decided if d.engine == "cpu"}
    program = lower(graph, LowerContext(rounding or t.numerics.rounding), force_float=ff,
                    fp16={n: why for n, why in half.items() if n not in ff})
    final = _apply_lowering(decided, program, forced, t)
    return Placement(t.name, final, program)


def _fp16_reason(node: Node, t: TargetProfile, why: str) -> str:
    """Why ``node`` runs fp16 on ``t``'s NPU, or a clear error when it cannot."""
    if "fp16" not in t.numerics.activation_dtypes:
        raise NpukitError(
            f"node {node.name!r} ({node.op_type}) is set to fp16 ({why}), but {t.name}'s "
            f"NPU has no float16 (it holds {', '.join(t.numerics.activation_dtypes)})",
            hint="choose int16 (more precision on the NPU) or float (float32 on the CPU) "
                 "for it, or a target with fp16")
    return f"{why}: fp16 on {t.name}'s NPU float unit"


def _fp16_placement(node: Node, reason: str) -> NodePlacement:
    return NodePlacement(node.name, node.op_type, "npu", reason, "precision")


def _decide(node: Node, g: Graph, t: TargetProfile, forced: tuple[str, str] | None,
            kept: str | None) -> NodePlacement:
    ok, reasons = npu_supports(node, g, t)
    extra = _weight_dtype_blocker(node, g, t)
    if extra:
        ok, reasons = False, reasons + [extra]
    if forced is not None and forced[0] == "npu":
        if kept is not None:
            reasons = reasons + [f"the quantizer kept it in float ({kept})"]
        if not ok or kept is not None:
            raise NpukitError(
                f"node {node.name!r} ({node.op_type}) cannot be forced onto {t.name}'s NPU: "
                + "; ".join(reasons), hint="remove it from --npu, or choose another target")
        return NodePlacement(node.name, node.op_type, "npu", forced[1], "user")
    if forced is not None:
        return NodePlacement(node.name, node.op_type, "cpu", forced[1], "user")
    if kept is not None:
        return NodePlacement(node.name, node.op_type, "cpu", kept, "precision")
    if not ok:
        return NodePlacement(node.name, node.op_type, "cpu", "; ".join(reasons), "target")
    return NodePlacement(node.name, node.op_type, "npu",
                         f"all {t.name} constraints pass; integer kernel", "target")


def _weight_dtype_blocker(node: Node, g: Graph, t: TargetProfile) -> str:
    """Why the node's quantized weights cannot live on the NPU ("" when they can)."""
    if node.domain not in ("", "ai.onnx") or not t.numerics.weight_dtypes:
        return ""
    try:
        axes = get_op(node.op_type, node.domain, node=node.name).weight_axes(node)
    except NpukitError:
        return ""
    for idx in axes:
        v = g.values.get(node.inputs[idx]) if idx < len(node.inputs) else None
        if v is not None and v.quant is not None and v.quant.dtype not in \
                t.numerics.weight_dtypes:
            return (f"node {node.name!r} ({node.op_type}): weights {v.name!r} are "
                    f"{v.quant.dtype}, which {t.name}'s NPU does not take (it takes "
                    f"{', '.join(t.numerics.weight_dtypes)}); the node runs on the CPU")
    return ""


def _apply_lowering(decided: list[NodePlacement], program: Program,
                    forced: Mapping[str, tuple[str, str]], t: TargetProfile
                    ) -> list[NodePlacement]:
    """NPU candidates that lowered to a float record go to the CPU with the lowering's reason."""
    floats = {s: r.reason for r in program.records if r.kernel == "float" and
              r.engine == "cpu" for s in r.sources}
    out = []
    for d in decided:
        if d.engine == "npu" and d.node in floats:
            if forced.get(d.node, ("",))[0] == "npu":
                raise NpukitError(
                    f"node {d.node!r} ({d.op_type}) cannot be forced onto {t.name}'s NPU: "
                    f"{floats[d.node]}", hint="remove it from --npu")
            d = NodePlacement(d.node, d.op_type, "cpu", floats[d.node], "lowering")
        out.append(d)
    return out
