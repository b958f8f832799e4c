"""An optimised float IR graph as cost layers: every node an NPU layer unless the target
cannot run it.

This is the estimate before quantization: each node the target's
constraints accept (the float-on-integer-NPU rule aside — the graph is
costed as if quantized) is an NPU layer in ``options.npu_dtype``; the rest
run in float32 on the CPU.  Conversions are added where :mod:`npukit.sim.lower`
would add them: at the program's inputs and outputs and wherever a value
crosses between the NPU and the CPU.
"""

from __future__ import annotations

from typing import Sequence

from npukit.cost.layers import (
    CPU_FLOPS_PER_ELEM,
    OP_KINDS,
    VIEW_OPS,
    ConvGeom,
    Layer,
    conv_kind,
    itemsize,
    numel,
)
from npukit.cost.params import CostError
from npukit.ir import Graph, Node
from npukit.ops import TensorType, get_op
from npukit.targets import TargetProfile, check_node
from npukit.targets.schema import DTYPES

IGNORED = ("constraint_float_on_int_npu",)   # the graph is costed as if quantized


def placement(node: Node, g: Graph, t: TargetProfile, dtype: str) -> tuple[str, str]:
    """``(engine, reason)`` for ``node``: the target's constraints, float rule aside."""
    failed = [r for name, ok, r in check_node(node, g, t) if not ok and name not in IGNORED]
    if failed:
        return "cpu", failed[0]
    rate = t.npu.macs_per_cycle.get(dtype) or (dtype == "uint8" and t.npu.macs_per_cycle["int8"])
    if not rate:
        return "cpu", f"{t.name}'s NPU has no {dtype} path (npu.macs_per_cycle.{dtype})"
    return "npu", ""


def _macs(node: Node, g: Graph) -> int:
    op = get_op(node.op_type, node.domain, node=node.name)
    ins = [TensorType(g.values[i].dtype, g.values[i].shape) if i else None for i in node.inputs]
    outs = [TensorType(g.values[o].dtype, g.values[o].shape) if o else None
            for o in node.outputs]
    try:
        return int(op.macs(node, ins, outs))
    except Exception:  # noqa: BLE001 - a report must not fail on an op's MAC count
        return 0


def conv_geom(node: Node, g: Graph, size: int) -> ConvGeom | None:
    """Array geometry of a Conv / Gemm / MatMul node (None when shapes are unknown)."""
    x = g.values[node.inputs[0]].shape or ()
    y = g.values[node.outputs[0]].shape or ()
    w = g.values[node.inputs[1]].shape or ()
    if node.op_type in ("Conv", "ConvTranspose") and len(x) >= 3 and len(w) >= 3:
        groups = int(node.attr("group", 1))
        kernel = tuple(int(k) for k in (node.attr("kernel_shape") or w[2:]))
        strides = tuple(int(s) for s in (node.attr("strides") or [1] * len(kernel)))
        cout = int(y[1]) if len(y) > 1 else int(w[0])
        row = int(x[-1]) * int(x[1]) * kernel[0] * size
        return ConvGeom(int(x[0]), int(x[1]), cout, groups, numel(y[2:]), kernel, strides, row)
    if node.op_type in ("Gemm", "MatMul") and len(x) >= 1 and len(y) >= 1:
        k = int(x[0] if node.attr("transA", 0) else x[-1]) if len(x) > 1 else int(x[0])
        rows = int(y[-2]) if len(y) > 1 else 1
        return ConvGeom(numel(y[:-2]), k, int(y[-1]), 1, rows, (1,), (1,), k * size)
    return None


class _Builder:
    def __init__(self, g: Graph, t: TargetProfile, dtype: str) -> None:
        self.g, self.t, self.dtype = g, t, dtype
        self.size = itemsize(DTYPES.get(dtype, dtype))
        self.layers: list[Layer] = []
        self.forms: dict[str, set[str]] = {n: {"cpu"} for n in g.inputs}

    def nbytes(self, name: str, engine: str) -> int:
        return numel(self.g.values[name].shape) * (self.size if engine == "npu" else 4)

    def form(self, name: str, engine: str) -> str:
        """The name of ``name``'s form on ``engine``, converting it if needed."""
        vname = name if engine == "cpu" else name + "@q"
        have = self.forms.setdefault(name, set())
        if engine not in have:
            src = "npu" if engine == "cpu" else "cpu"
            op = "Dequantize" if engine == "cpu" else "Quantize"
            elems = numel(self.g.values[name].shape)
            self.layers.append(Layer(
                f"{name}@{'dq' if engine == 'cpu' else 'q'}", op, "convert", "cpu", "fp32",
                (self.form(name, src),), (vname,), (self.nbytes(name, src),),
                (self.nbytes(name, engine),), elems, io=name in self.g.inputs,
                flops_per_elem=CPU_FLOPS_PER_ELEM[op], reason="NPU↔CPU boundary"))
            have.add(engine)
        return vname

    def add(self, node: Node) -> None:
        g = self.g
        engine, reason = placement(node, g, self.t, self.dtype)
        acts = [i for i in node.inputs if i and g.values[i].const is None]
        if node.op_type in VIEW_OPS and acts:      # a view stays where its input is
            engine = "npu" if "npu" in self.forms.get(acts[0], ()) else "cpu"
            reason = "" if engine == "npu" else "shape-only op beside a CPU producer"
        consts = [i for i in node.inputs if i and g.values[i].const is not None]
        ins = tuple(self.form(i, engine) for i in acts)
        outs = [o for o in node.outputs if o]
        for o in outs:
            self.forms[o] = {engine}
        size = self.size if engine == "npu" else 4
        geom = conv_geom(node, g, size) if OP_KINDS.get(node.op_type) in ("conv", "gemm") \
            else None
        kind = self._kind(node, engine, geom)
        wbytes = sum(numel(g.values[c].shape) for c in consts) * size
        if geom is not None and engine == "npu" and self.size == 1:
            wbytes += 12 * geom.cout        # int32 bias + Q31 multiplier + shift per channel
        out_elems = sum(numel(g.values[o].shape) for o in outs)
        work = out_elems * int(max(1, len(acts)))
        if kind == "pool":      # line-buffered window: each input element read once
            work = max(sum(numel(g.values[i].shape) for i in acts), out_elems)
        self.layers.append(Layer(
            node.name, node.op_type, kind, engine, self.dtype if engine == "npu" else "fp32",
            ins, tuple(o if engine == "cpu" else o + "@q" for o in outs),
            tuple(self.nbytes(i, engine) for i in acts),
            tuple(self.nbytes(o, engine) for o in outs), out_elems,
            _macs(node, g) if geom is not None or engine == "cpu" else 0, wbytes,
            work, geom, (node.name,), reason,
            flops_per_elem=CPU_FLOPS_PER_ELEM.get(node.op_type, 1.0)))

    def _kind(self, node: Node, engine: str, geom: ConvGeom | None) -> str:
        if node.op_type in VIEW_OPS:
            return "view"
        if engine == "cpu":
            return "cpu"
        kind = OP_KINDS.get(node.op_type, "elementwise")
        if kind == "conv" and geom is not None:
            return conv_kind(geom.cin, geom.cout, geom.groups)
        return kind


def graph_layers(g: Graph, t: TargetProfile, dtype: str = "int8") -> list[Layer]:
    """Cost layers of graph ``g`` on ``t`` (NPU layers in ``dtype``)."""
    for name in g.inputs:
        if not g.values[name].is_static:
            raise CostError(f"model input {name!r} has a dynamic shape {g.values[name].shape}; "
                            "an estimate needs static shapes",
                            hint=f"fix it, e.g. --input-shape {name}:1,3,224,224")
    b = _Builder(g, t, dtype)
    for node in g.nodes:
        b.add(node)
    for o in g.outputs:
        b.form(o, "cpu")
    for layer in b.layers:
        if layer.name.endswith("@dq") and layer.outputs[0] in g.outputs:
            layer.io = True
    return b.layers


def graph_outputs(g: Graph) -> Sequence[str]:
    return list(g.outputs)
