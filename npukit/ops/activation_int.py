"""Activations in integers: clamps on codes and lookup tables (docs/numerics.md §5).

* **Relu / Clip** (quant rule ``same_as_input``): when input and output share
  params, ``y = min(max(q, lo), hi)`` on the codes, with ``lo = quantize(real
  min)`` (Relu: the zero point) and ``hi = quantize(real max)`` — exact,
  because quantization is monotone.  When the params differ (an override) the
  op becomes a table like the ones below.
* **Table activations** (quant rule ``observe``): Sigmoid, Tanh, HardSigmoid,
  HardSwish, LeakyRelu, Gelu, Erf, Elu, Selu, Celu, Softplus, Softsign, Mish,
  ThresholdedRelu, Swish (ONNX and ``npukit::Swish``), Exp, Log, Sqrt,
  Reciprocal, Neg, Abs, Sin, Cos.  The table has one entry per input code
  (256 for 8-bit, 65536 for 16-bit): ``T[q − qmin] = quantize_out(f(s_in·(q −
  zp_in)))`` with ``f`` the op's own float kernel (with the node's attributes)
  run in float64 at compile time; NaN (Log/Sqrt of a negative) becomes the
  output zero point and ±inf saturates.  The kernel is one gather, so fast
  and reference agree trivially; the table is the definition.

Record tensors: ``table`` (output storage dtype).  Attrs: ``in_dtype``.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from npukit.ir import Graph, Node, QuantParams
from npukit.numerics.lut import MAX_LUT_BITS, apply_lut, apply_lut_ref, build_lut
from npukit.numerics.quantize import quantize
from npukit.numerics.rounding import RoundingMode
from npukit.ops.qlower import qparams
from npukit.ops.registry import IntKernel, LowerContext, get_op, lowering, register_kernel
from npukit.program import OpRecord

LUT_OPS = ("Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "LeakyRelu", "Gelu", "Erf", "Elu",
           "Selu", "Celu", "Softplus", "Softsign", "Mish", "ThresholdedRelu", "Swish",
           "npukit::Swish", "Exp", "Log", "Sqrt", "Reciprocal", "Neg", "Abs", "Sin", "Cos")


def float_fn(node: Node, g: Graph) -> Callable[[np.ndarray], np.ndarray]:
    """The node's float kernel as a function of its first input (float64 in and out);
    further inputs (Clip's bounds) are the graph's constants."""
    op = get_op(node.op_type, node.domain, node=node.name)
    rest = [g.values[i].const if i else None for i in node.inputs[1:]]

    def fn(x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(op.run(node, [x, *rest])[0], np.float64)
    return fn


def _io(node: Node, g: Graph) -> tuple[QuantParams, QuantParams] | str:
    qx, qy = qparams(g, node.inputs[0]), qparams(g, node.outputs[0])
    if qx.per_channel or qy.per_channel:
        return f"per-channel params on an integer {node.op_type} input or output"
    return qx, qy


def lower_lut(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    """A ``Lut`` record: the node's float function tabulated over every input code."""
    got = _io(node, g)
    if isinstance(got, str):
        return got
    qx, qy = got
    if qx.bits > MAX_LUT_BITS:
        return f"{node.op_type} on {qx.dtype} input: lookup tables stop at 16-bit inputs"
    table = build_lut(float_fn(node, g), float(qx.scale[0]), int(qx.zero_point[0]), qx.dtype,
                      float(qy.scale[0]), int(qy.zero_point[0]), qy.dtype,
                      RoundingMode.parse(ctx.rounding))
    return OpRecord("Lut", node.name, [], [], {"in_dtype": qx.dtype, "op_type": node.op_type},
                    {"table": table})


for _op in LUT_OPS:
    lowering(_op)(lower_lut)


def _clip_range(node: Node, g: Graph) -> tuple[float, float] | str:
    if node.op_type == "Relu":
        return 0.0, np.inf
    bounds = []
    for k, default in ((1, -np.inf), (2, np.inf)):
        name = node.inputs[k] if len(node.inputs) > k else ""
        if not name:
            bounds.append(default)
            continue
        c = g.values[name].const
        if c is None:
            return f"Clip {'min' if k == 1 else 'max'} is not a constant"
        bounds.append(float(np.asarray(c).reshape(-1)[0]))
    return bounds[0], bounds[1]


def _code(real: float, q: QuantParams, mode: str, default: int) -> int:
    if not np.isfinite(real):
        return default
    return int(quantize(np.float64(real), np.float64(q.scale[0]), int(q.zero_point[0]),
                        q.dtype, RoundingMode.parse(mode)))


def lower_clamp(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    got = _io(node, g)
    if isinstance(got, str):
        return got
    qx, qy = got
    rng = _clip_range(node, g)
    if isinstance(rng, str):
        return rng
    if not qx.same_as(qy):
        return lower_lut(node, g, ctx)   # params differ (an override): a table
    lo = _code(rng[0], qy, ctx.rounding, qy.qmin)
    hi = _code(rng[1], qy, ctx.rounding, qy.qmax)
    return OpRecord("Clamp", node.name, [], [], {"clamp_min": lo, "clamp_max": hi})


lowering("Relu", quant_rule="same_as_input")(lower_clamp)
lowering("Clip", quant_rule="same_as_input")(lower_clamp)


@register_kernel
class LutKernel(IntKernel):
    """``table[q − qmin]``: one gather over the input codes."""

    name = "Lut"

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [apply_lut(inputs[0], rec.tensors["table"], rec.attrs["in_dtype"])]

    def ref(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [apply_lut_ref(inputs[0], rec.tensors["table"], rec.attrs["in_dtype"])]


@register_kernel
class ClampKernel(IntKernel):
    """``min(max(q, clamp_min), clamp_max)`` on codes (so min > max gives max, as Clip)."""

    name = "Clamp"

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        q = inputs[0]
        lo, hi = (np.asarray(rec.attrs[k], q.dtype) for k in ("clamp_min", "clamp_max"))
        return [np.minimum(np.maximum(q, lo), hi)]

    def ref(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        q = inputs[0]
        lo, hi = rec.attrs["clamp_min"], rec.attrs["clamp_max"]
        out = np.empty_like(q)
        for idx in np.ndindex(q.shape):
            out[idx] = min(max(int(q[idx]), lo), hi)
        return [out]
