"""Conv in integers: lowering rule, fast kernel (float BLAS, exact) and reference.

Record tensors: ``weights`` int8/int4-in-int8 (M, C/g, *k), ``bias`` int32 (M),
``multiplier`` / ``shift`` int32 (M).  Attrs: geometry, ``in_zp``, output
zero point, clamp bounds, rounding.  Padding uses ``in_zp`` (real 0).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from npukit.ir import Graph, Node
from npukit.numerics.gemm import int_matmul
from npukit.ops.conv import conv_geometry, depthwise_taps, windows
from npukit.ops.conv_int_fast import plan_conv
from npukit.ops.qlower import (
    bias_int32,
    channel_scales,
    finish_channels,
    out_attrs,
    requant,
    weighted_operands,
)
from npukit.ops.registry import (
    IntKernel,
    LowerContext,
    lowering,
    plan_per_dtype,
    register_kernel,
)
from npukit.program import OpRecord


@lowering("Conv", weight_axes=lambda node: {1: 0})
def lower_conv(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    x, w = g.values[node.inputs[0]], g.values[node.inputs[1]]
    got = weighted_operands(node, g, ctx.rounding)
    if isinstance(got, str):
        return got
    qx, qy, wq, qw, bounds = got
    m = wq.shape[0]
    s_x, s_w = float(qx.scale[0]), channel_scales(qw, m)
    b = g.const(node.inputs[2]) if len(node.inputs) > 2 and node.inputs[2] else None
    mult, shift = requant(s_x, s_w, float(qy.scale[0]))
    k, s, d, p = conv_geometry(node, tuple(x.shape or ()), tuple(w.shape or ()))
    attrs = {"strides": s, "dilations": d, "pads": p, "group": int(node.attr("group", 1)),
             "in_zp": int(qx.zero_point[0]), **out_attrs(qy, bounds, ctx.rounding)}
    return OpRecord("Conv", node.name, [], [], attrs,
                    {"weights": wq, "bias": bias_int32(b, s_x, s_w, ctx.rounding),
                     "multiplier": mult, "shift": shift})


def _padded(x: np.ndarray, pads: Sequence[int], zp: int) -> np.ndarray:
    n = x.ndim - 2
    if not any(pads):
        return x
    widths = [(0, 0), (0, 0)] + [(pads[i], pads[n + i]) for i in range(n)]
    return np.pad(x, widths, constant_values=zp)


@register_kernel
class ConvKernel(IntKernel):
    name = "Conv"

    def prepare(self, rec: OpRecord) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
        return plan_per_dtype(lambda d: plan_conv(rec, d) or
                              (lambda ins: self.run_untiled(rec, ins)))

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        return self.prepare(rec)(inputs)

    def run_untiled(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """The N-d fallback (one im2col, ``int_matmul``, int64 requantization)."""
        a, w = rec.attrs, rec.tensors["weights"]
        x = _padded(inputs[0], a["pads"], a["in_zp"])
        n, cin = x.shape[:2]
        m, cg = w.shape[:2]
        kernel, group = list(w.shape[2:]), a["group"]
        win = windows(x, kernel, a["strides"], a["dilations"])    # (N, C, *out, *k)
        nsp = len(kernel)
        out_sp = win.shape[2:2 + nsp]
        if group == cin and cg == 1 and m == cin:
            acc = depthwise_taps(x, w, a["strides"], a["dilations"], np.dtype(np.int32),
                                 a["in_zp"])
            return [finish_channels(rec, acc, ref=False)]
        order = (0, 1) + tuple(range(2 + nsp, 2 + 2 * nsp)) + tuple(range(2, 2 + nsp))
        cols = win.transpose(order).reshape(n, group, cg * int(np.prod(kernel)), -1)
        acc = int_matmul(w.reshape(group, m // group, -1), cols, 0, a["in_zp"])
        return [finish_channels(rec, acc.reshape((n, m) + tuple(out_sp)), ref=False)]

    def ref(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Direct definition: for each tap and group, Σ_c (x − zp)·w in int64."""
        a, w = rec.attrs, rec.tensors["weights"].astype(np.int64)
        x = _padded(inputs[0], a["pads"], a["in_zp"]).astype(np.int64) - a["in_zp"]
        kernel, group = list(w.shape[2:]), a["group"]
        win = windows(x, kernel, a["strides"], a["dilations"])
        nsp = len(kernel)
        n, m, cg = x.shape[0], w.shape[0], w.shape[1]
        acc = np.zeros((n, m) + win.shape[2:2 + nsp], np.int64)
        mg = m // group
        for gi in range(group):
            xs = win[:, gi * cg:(gi + 1) * cg]
            for tap in np.ndindex(*kernel):
                xt = xs[(Ellipsis,) + tap]                              # (N, Cg, *out)
                wt = w[(slice(gi * mg, (gi + 1) * mg), slice(None)) + tap]  # (Mg, Cg)
                acc[:, gi * mg:(gi + 1) * mg] += np.einsum("nc...,mc->nm...", xt, wt)
        return [finish_channels(rec, acc, ref=True)]
