"""Softmax in integers: an exp table over max-subtracted codes and one exact division.

Along the axis, with ``d = max(q) − q`` (``0 ≤ d ≤ qmax − qmin``):

* ``E[d] = round(exp(−s_in·d)·2^24)`` (half away from zero), a table built at
  compile time in float64 with one entry per possible difference (256 for
  8-bit inputs, 65536 for 16-bit) and stored in the record (int32);
* ``Σ = Σ_axis E[d]`` exactly in int64 (the maximum contributes exactly 2^24);
* ``y = round(E[d]·M / (Σ·2^(31−shift))) + zp_out`` — one exact rational
  rounding in the target's mode, with (M, shift) the Q31 form of ``1/s_out`` —
  then clamped to the output dtype.

Tolerance vs the float op on the same (dequantized) input: the table's
relative error is at most 2^-25 per term, so the result is within half an
output step plus ~N·2^-25 of the exact probability (N = axis length) — in
practice the correctly rounded code, never more than one step away.
Record tensors: ``exp_table`` int32, ``multiplier`` / ``shift`` int32 (1).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from npukit.ir import Graph, Node
from npukit.numerics.fixedpoint import quantize_multiplier
from npukit.numerics.pool import rounding_divide
from npukit.numerics.rounding import RoundingMode, round_div_ref, round_float
from npukit.numerics.saturate import qrange, saturate
from npukit.ops.qlower import qparams
from npukit.ops.registry import IntKernel, LowerContext, lowering, register_kernel
from npukit.ops.rescale_int import per_tensor
from npukit.ops.shapes import norm_axis
from npukit.program import OpRecord

EXP_BITS = 24


def exp_table(in_scale: float, levels: int) -> np.ndarray:
    """``E[d] = round(exp(−s·d)·2^24)`` for ``d = 0 … levels − 1``."""
    d = np.arange(levels, dtype=np.float64)
    e = np.exp(-np.float64(in_scale) * d) * 2.0**EXP_BITS
    return round_float(e, RoundingMode.HALF_AWAY_FROM_ZERO).astype(np.int32)


@lowering("Softmax")
def lower_softmax(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    qx, qy = qparams(g, node.inputs[0]), qparams(g, node.outputs[0])
    shape = g.values[node.inputs[0]].shape
    if not per_tensor(qx, qy) or qx.bits > 16:
        return "Softmax runs in float on the CPU: per-channel or wider-than-16-bit params"
    if shape is None or not shape:
        return "Softmax runs in float on the CPU: the input rank is unknown or 0"
    axis = norm_axis(int(node.attr("axis", -1)), len(shape))
    n = shape[axis]
    mult, shift = quantize_multiplier(np.array([1.0 / np.float64(qy.scale[0])]))
    if not isinstance(n, int) or n * 2.0**(EXP_BITS + 31 - int(shift[0])) >= 2.0**62:
        return f"Softmax runs in float on the CPU: axis length {n} overflows the int64 " \
               "division of the integer kernel"
    lo, hi = qrange(qx.dtype)
    attrs = {"axis": axis, "out_zp": int(qy.zero_point[0]), "out_dtype": qy.dtype,
             "rounding": ctx.rounding}
    return OpRecord("Softmax", node.name, [], [], attrs,
                    {"exp_table": exp_table(float(qx.scale[0]), hi - lo + 1),
                     "multiplier": mult, "shift": shift})


def _parts(rec: OpRecord) -> tuple[int, int]:
    return int(rec.tensors["multiplier"][0]), 31 - int(rec.tensors["shift"][0])


@register_kernel
class SoftmaxKernel(IntKernel):
    name = "Softmax"

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        a, q = rec.attrs, inputs[0].astype(np.int64)
        m, rshift = _parts(rec)
        d = np.max(q, axis=a["axis"], keepdims=True) - q
        e = np.take(rec.tensors["exp_table"].astype(np.int64), d)
        total = np.sum(e, axis=a["axis"], keepdims=True)
        y = rounding_divide(e * m, total << rshift, a["rounding"]) + a["out_zp"]
        return [saturate(y, a["out_dtype"])]

    def ref(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Row by row in Python integers: table lookups, the exact sum, one rounding
        division per element."""
        a, x = rec.attrs, np.moveaxis(inputs[0], rec.attrs["axis"], -1)
        m, rshift = _parts(rec)
        table = rec.tensors["exp_table"]
        lo, hi = qrange(a["out_dtype"])
        out = np.empty(x.shape, np.int64)
        for row in np.ndindex(x.shape[:-1]):
            codes = [int(v) for v in x[row]]
            e = [int(table[max(codes) - c]) for c in codes]
            total = sum(e)
            for k, ek in enumerate(e):
                y = round_div_ref(ek * m, total * 2**rshift, a["rounding"]) + a["out_zp"]
                out[row + (k,)] = min(max(y, lo), hi)
        return [saturate(np.moveaxis(out, -1, a["axis"]), a["out_dtype"])]
