"""ConvTranspose in integers: lowering rule, fast kernel (float BLAS, exact) and reference.

Record tensors: ``weights`` int8/int4-in-int8 (C_in, M/g, *k) as in ONNX,
``bias`` int32 (M), ``multiplier`` / ``shift`` int32 (M).  Attrs: geometry
(``strides``, ``dilations``, ``pads``, output spatial size ``out``, ``group``),
``in_zp``, output zero point, clamp bounds, rounding.

Weights are symmetric per output channel along axis 1 (``M/g`` scales).  With
``group > 1`` output channel ``g·M/g + j`` uses scale ``j``: the scales are
shared across groups, because one QuantParams axis cannot name the pair
(group, j).  Output positions no input pixel reaches hold the bias alone.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from npukit.ir import Graph, Node, QuantParams
from npukit.numerics.gemm import int_matmul
from npukit.ops.conv_transpose import col2im, transpose_geometry
from npukit.ops.qlower import (
    bias_int32,
    finish_channels,
    out_attrs,
    requant,
    weighted_operands,
)
from npukit.ops.registry import IntKernel, LowerContext, lowering, register_kernel
from npukit.program import OpRecord


def output_channel_scales(q: QuantParams, w_shape: Sequence[int], group: int
                          ) -> np.ndarray | str:
    """Weight scale of every output channel (M = group × M/g), or why there is none."""
    if not q.per_channel:
        return np.full(int(w_shape[1]) * group, float(q.scale[0]), np.float64)
    if q.axis is None or q.axis % len(w_shape) != 1 or q.scale.size != w_shape[1]:
        return (f"ConvTranspose weights are quantized along axis {q.axis}; the integer "
                "kernel needs per-tensor or per-output-channel (axis 1) scales")
    return np.tile(q.scale.astype(np.float64), group)


@lowering("ConvTranspose", weight_axes=lambda node: {1: 1})
def lower_conv_transpose(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    x = g.values[node.inputs[0]]
    got = weighted_operands(node, g, ctx.rounding)
    if isinstance(got, str):
        return got
    qx, qy, wq, qw, bounds = got
    group = int(node.attr("group", 1))
    s_w = output_channel_scales(qw, wq.shape, group)
    if isinstance(s_w, str):
        return s_w
    _, s, d, p, out = transpose_geometry(node, tuple(x.shape or ()), wq.shape)
    if not all(isinstance(o, int) for o in out):
        return f"ConvTranspose output size {out} is not static"
    s_x = float(qx.scale[0])
    b = g.const(node.inputs[2]) if len(node.inputs) > 2 and node.inputs[2] else None
    mult, shift = requant(s_x, s_w, float(qy.scale[0]))
    attrs = {"strides": [int(v) for v in s], "dilations": [int(v) for v in d],
             "pads": [int(v) for v in p], "out": [int(v) for v in out], "group": group,
             "in_zp": int(qx.zero_point[0]), **out_attrs(qy, bounds, ctx.rounding)}
    return OpRecord("ConvTranspose", node.name, [], [], attrs,
                    {"weights": wq, "bias": bias_int32(b, s_x, s_w, ctx.rounding),
                     "multiplier": mult, "shift": shift})


@register_kernel
class ConvTransposeKernel(IntKernel):
    name = "ConvTranspose"

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """One exact BLAS product per group gives every (output channel, tap, input
        pixel) term ``w·(x − zp)``; col2im adds the taps into the output in int64."""
        a, w, x = rec.attrs, rec.tensors["weights"], inputs[0]
        n, cin = x.shape[:2]
        group, mg, kernel = a["group"], w.shape[1], w.shape[2:]
        cg = cin // group
        wt = w.reshape(group, cg, -1).transpose(0, 2, 1)         # (g, M/g·K, C/g)
        cols = int_matmul(wt, x.reshape(n, group, cg, -1), 0, a["in_zp"])
        cols = cols.reshape((n, group * mg, *kernel, *x.shape[2:]))
        acc = col2im(cols, a["strides"], a["dilations"], a["pads"], a["out"],
                     np.dtype(np.int64))
        return [finish_channels(rec, acc, ref=False)]

    def ref(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Scatter definition in int64: input pixel ``i`` of channel ``c`` times tap
        ``t`` of the kernel is added to output ``i·stride + t·dilation − pad_begin``
        of every output channel of c's group, when that position is in the output."""
        a = rec.attrs
        w = rec.tensors["weights"].astype(np.int64)
        x = inputs[0].astype(np.int64) - a["in_zp"]
        n, cin = x.shape[:2]
        group, mg, kernel = a["group"], w.shape[1], w.shape[2:]
        cg, out, nsp = cin // group, a["out"], len(kernel)
        acc = np.zeros((n, group * mg, *out), np.int64)
        for pix in np.ndindex(*x.shape[2:]):
            for tap in np.ndindex(*kernel):
                o = tuple(pix[i] * a["strides"][i] + tap[i] * a["dilations"][i]
                          - a["pads"][i] for i in range(nsp))
                if not all(0 <= o[i] < out[i] for i in range(nsp)):
                    continue
                for gi in range(group):
                    xs = x[(slice(None), slice(gi * cg, (gi + 1) * cg)) + pix]   # (N, C/g)
                    ws = w[(slice(gi * cg, (gi + 1) * cg), slice(None)) + tap]   # (C/g, M/g)
                    acc[(slice(None), slice(gi * mg, (gi + 1) * mg)) + o] += xs @ ws
        return [finish_channels(rec, acc, ref=True)]


__all__ = ["ConvTransposeKernel", "lower_conv_transpose", "output_channel_scales"]
