"""Data movement in integers: the op's own float kernel replayed on the codes.

Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Identity, Dropout, Slice,
Split, Pad, DepthToSpace, SpaceToDepth, Gather, Expand and Tile have quant
rule ``same_as_input``: every output shares the input's params, and moving
codes moves reals exactly, so the kernel is the float kernel run on the codes
(those kernels keep their input's dtype).  One generic ``Move`` kernel does
it; the record stores the op type, its attributes and every constant input
(shape, axes, pads, indices, repeats) as tensors.  Pad's constant mode pads
with the code of its ``constant_value`` (the zero point for 0 or none).  If an
output's params differ from the input's (an override), the moved codes are
rescaled once (:mod:`npukit.ops.rescale_int`).

**Concat** has quant rule ``observe``: the output keeps its own range (boxes
and scores concatenated must not share one scale), each input is rescaled to
the output params — passed through unchanged when they already match — and
constant inputs are quantized straight to the output params.

The references replay the same kernels on the codes held as exact float64
reals, so a kernel that did arithmetic on codes instead of moving them would
disagree.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from npukit.ir import Graph, Node, QuantParams
from npukit.numerics.quantize import quantize
from npukit.numerics.rounding import RoundingMode
from npukit.ops.qlower import qparams
from npukit.ops.registry import IntKernel, LowerContext, get_op, lowering, register_kernel
from npukit.ops.rescale_int import per_tensor, rescale, rescale_attrs
from npukit.ops.shapes import norm_axis
from npukit.program import OpRecord, join_attrs, split_attrs

MOVE_OPS = ("Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Dropout",
            "Slice", "Split", "Pad", "DepthToSpace", "SpaceToDepth", "Gather", "Expand",
            "Tile")


def _code(real: Any, q: QuantParams, mode: str) -> np.ndarray:
    return quantize(np.asarray(real, np.float64), np.float64(q.scale[0]),
                    int(q.zero_point[0]), q.dtype, RoundingMode.parse(mode))


def _pad_value(node: Node, g: Graph, q: QuantParams, mode: str,
               args: list, tensors: dict[str, np.ndarray]) -> None:
    """Pad's constant mode: the pad value becomes its code in the input params."""
    if node.attr("mode", "constant") != "constant":
        return
    name = node.inputs[2] if len(node.inputs) > 2 else ""
    c = g.values[name].const if name else None
    real = 0.0 if c is None or np.size(c) == 0 else float(np.asarray(c).reshape(-1)[0])
    while len(args) < 3:
        args.append(["none"])
    tensors["in2"] = _code(real, q, mode).reshape(())
    args[2] = ["const", "in2"]


@lowering("Reshape", quant_rule="same_as_input")
def lower_move(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    """A ``Move`` record: replay ``node``'s float kernel on the input codes."""
    qx = qparams(g, node.inputs[0])
    outs = [qparams(g, o) for o in node.outputs if o]
    if not per_tensor(qx, *outs):
        return f"per-channel params on an integer {node.op_type} input or output"
    args: list[list[str]] = [["value"]]
    tensors: dict[str, np.ndarray] = {}
    for k, name in enumerate(node.inputs[1:], start=1):
        if not name:
            args.append(["none"])
            continue
        c = g.values[name].const
        if c is None:
            return f"integer {node.op_type} needs constant input {k} ({name!r})"
        tensors[f"in{k}"] = c
        args.append(["const", f"in{k}"])
    if node.op_type == "Pad":
        _pad_value(node, g, qx, ctx.rounding, args, tensors)
    attrs = {"op_type": node.op_type, "domain": node.domain, "args": args,
             "node_attrs": split_attrs(node.attrs, tensors),
             "rescale": [rescale_attrs(qx, q, ctx.rounding) for q in outs]}
    return OpRecord("Move", node.name, [], [], attrs, tensors)


for _op in MOVE_OPS[1:]:
    lowering(_op, quant_rule="same_as_input")(lower_move)


@lowering("Concat")
def lower_concat(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    qy = qparams(g, node.outputs[0])
    args: list[list[str]] = []
    tensors: dict[str, np.ndarray] = {}
    rescales = []
    for k, name in enumerate(node.inputs):
        c = g.values[name].const
        if c is not None:
            tensors[f"in{k}"] = _code(c, qy, ctx.rounding)
            args.append(["const", f"in{k}"])
            continue
        q = qparams(g, name)
        if not per_tensor(q, qy):
            return "per-channel params on an integer Concat input or output"
        args.append(["value"])
        rescales.append(rescale_attrs(q, qy, ctx.rounding))
    rank = len(g.values[node.outputs[0]].shape or ())
    return OpRecord("Concat", node.name, [], [], {
        "axis": norm_axis(int(node.attr("axis")), rank), "args": args, "rescale": rescales},
        tensors)


def _replay(rec: OpRecord, inputs: Sequence[np.ndarray], as_real: bool) -> list[np.ndarray]:
    a = rec.attrs
    op = get_op(a["op_type"], a.get("domain", ""), node=rec.name)
    attrs = join_attrs(a["node_attrs"], rec.tensors)
    node = Node(rec.name, a["op_type"], [], list(rec.outputs) or [""] * len(a["rescale"]),
                attrs, a.get("domain", ""))
    x = inputs[0]
    full: list[Any] = [x.astype(np.float64) if as_real else x]
    full += [rec.tensors[arg[1]] if arg[0] == "const" else None for arg in a["args"][1:]]
    outs = op.run(node, full)
    if as_real:
        for y in outs:
            assert np.array_equal(y, np.round(y)), "a movement kernel changed a value"
        outs = [y.astype(x.dtype) for y in outs]
    return [rescale(np.asarray(y), r, ref=as_real) for y, r in zip(outs, a["rescale"])]


@register_kernel
class MoveKernel(IntKernel):
    """The op's float kernel on the codes (dtype-preserving movement)."""

    name = "Move"

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        return _replay(rec, inputs, as_real=False)

    def ref(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        return _replay(rec, inputs, as_real=True)


def _concat(rec: OpRecord, inputs: Sequence[np.ndarray], ref: bool) -> np.ndarray:
    it, rs = iter(inputs), iter(rec.attrs["rescale"])
    parts = [rec.tensors[arg[1]] if arg[0] == "const" else rescale(next(it), next(rs), ref)
             for arg in rec.attrs["args"]]
    return np.concatenate(parts, axis=rec.attrs["axis"])


@register_kernel
class ConcatKernel(IntKernel):
    """Each input moved to the output params (unchanged when equal), then joined."""

    name = "Concat"

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [_concat(rec, inputs, ref=False)]

    def ref(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [_concat(rec, inputs, ref=True)]
