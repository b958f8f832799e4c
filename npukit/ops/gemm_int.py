"""Gemm / MatMul in integers: lowering rules, fast kernel and reference.

One kernel, ``MatMul``: ``(a − a_zp) @ (b − b_zp) + bias`` then per-column
requantization.  ``b`` is either a constant int weight matrix (K, N), per
output column symmetric, or a second activation input (attention: both
per-tensor).  Gemm's ``alpha`` folds into the multiplier, ``beta·C`` into the
int32 bias; ``transA`` becomes a transpose of the input codes.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from npukit.ir import Graph, Node
from npukit.numerics.fixedpoint import quantize_multiplier, requantize, requantize_ref
from npukit.numerics.gemm import GemmPlan, centre_of, int_matmul, int_matmul_ref
from npukit.numerics.requant_float import RequantPlan
from npukit.ops.qlower import (
    bias_int32,
    channel_scales,
    clamp_bounds,
    out_attrs,
    qparams,
    quantized_weights,
    requant,
)
from npukit.ops.registry import (
    IntKernel,
    LowerContext,
    lowering,
    plan_per_dtype,
    register_kernel,
)
from npukit.program import OpRecord


def _record(node: Node, g: Graph, ctx: LowerContext, b_name: str, trans_b: bool,
            alpha: float, bias: np.ndarray | None, trans_a: bool) -> OpRecord | str:
    qa, qy = qparams(g, node.inputs[0]), qparams(g, node.outputs[0])
    if qa.per_channel or qy.per_channel:
        return "per-channel activation params are not supported by integer MatMul"
    bounds = clamp_bounds(node, qy, ctx.rounding)
    if isinstance(bounds, str):
        return bounds
    s_a, s_y = float(qa.scale[0]), float(qy.scale[0])
    attrs = {"a_zp": int(qa.zero_point[0]), "trans_a": trans_a,
             **out_attrs(qy, bounds, ctx.rounding)}
    if g.values[b_name].const is None:                 # two activations
        qb = qparams(g, b_name)
        if qb.per_channel:
            return "per-channel params on a MatMul activation input"
        mult, shift = quantize_multiplier(np.float64(alpha * s_a) * qb.scale[0] / s_y)
        attrs["b_zp"] = int(qb.zero_point[0])
        return OpRecord("MatMul", node.name, [], [], attrs,
                        {"multiplier": mult.reshape(1), "shift": shift.reshape(1)})
    got = quantized_weights(g, b_name, ctx.rounding)
    if isinstance(got, str):
        return got
    w, qw = got
    if w.ndim != 2:
        return f"weights {b_name!r} are {w.ndim}-D; integer MatMul takes a 2-D weight matrix"
    w = w.T if trans_b else w                          # (K, N)
    s_w = channel_scales(qw, w.shape[1])
    mult, shift = requant(alpha * s_a, s_w, s_y)
    tensors = {"weights": np.ascontiguousarray(w), "multiplier": mult, "shift": shift,
               "bias": bias_int32(bias, alpha * s_a, s_w, ctx.rounding)}
    attrs["b_zp"] = 0
    return OpRecord("MatMul", node.name, [], [], attrs, tensors)


@lowering("MatMul", weight_axes=lambda node: {1: -1})
def lower_matmul(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    return _record(node, g, ctx, node.inputs[1], False, 1.0, None, False)


@lowering("Gemm", weight_axes=lambda node: {1: 0 if node.attr("transB", 0) else 1})
def lower_gemm(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    c = g.const(node.inputs[2]) if len(node.inputs) > 2 and node.inputs[2] else None
    if len(node.inputs) > 2 and node.inputs[2] and c is None:
        return "Gemm with a non-constant C input"
    n_out = g.values[node.outputs[0]].shape[-1] if g.values[node.outputs[0]].shape else None
    bias = None
    if c is not None:
        if c.size not in (1, n_out) or (c.ndim == 2 and c.shape[0] != 1):
            return f"Gemm bias C of shape {list(c.shape)} is not a per-column vector"
        bias = np.broadcast_to(c.reshape(-1), (n_out,)) * float(node.attr("beta", 1.0))
    return _record(node, g, ctx, node.inputs[1], bool(node.attr("transB", 0)),
                   float(node.attr("alpha", 1.0)), bias, bool(node.attr("transA", 0)))


def _operands(rec: OpRecord, inputs: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    a = inputs[0]
    if rec.attrs.get("trans_a"):
        a = a.T
    b = rec.tensors["weights"] if "weights" in rec.tensors else inputs[1]
    return a, b


def _finish(rec: OpRecord, acc: np.ndarray, ref: bool) -> np.ndarray:
    a = rec.attrs
    if "bias" in rec.tensors:
        acc = acc.astype(np.int64) + rec.tensors["bias"].astype(np.int64)
    fn = requantize_ref if ref else requantize
    axis = acc.ndim - 1 if rec.tensors["multiplier"].size > 1 else None
    mult, shift = rec.tensors["multiplier"], rec.tensors["shift"]
    if axis is None:
        mult, shift = int(mult[0]), int(shift[0])
    return fn(acc, mult, shift, a["out_zp"], a["out_dtype"], a["rounding"],
              a["clamp_min"], a["clamp_max"], axis=axis)


class _ConstWeights:
    """MatMul by constant weights, planned once: float BLAS operand, zero point folded
    into the bias, requantization of the float accumulators (numerics/requant_float)."""

    def __init__(self, rec: OpRecord, in_dtype: np.dtype) -> None:
        a, t = rec.attrs, rec.tensors
        wt = t["weights"].T                                   # (N, K): one row per column
        self.gemm = GemmPlan(wt, in_dtype)
        shift = a["a_zp"] - centre_of(in_dtype)
        bias = t["bias"].astype(np.int64) - shift * wt.astype(np.int64).sum(axis=1)
        self.trans_a = bool(a.get("trans_a"))
        self.rq = RequantPlan(t["multiplier"], t["shift"], a["out_zp"], a["out_dtype"],
                              a["rounding"], a["clamp_min"], a["clamp_max"], bias=bias,
                              channel_shape=(-1,), acc_bound=self.gemm.acc_bound)

    def __call__(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        a = inputs[0].T if self.trans_a else inputs[0]
        acc = self.gemm.rmatmul(self.gemm.operand(a))
        return [self.rq.apply(acc, np.empty(acc.shape, self.rq.out_dtype))]


@register_kernel
class MatMulKernel(IntKernel):
    name = "MatMul"

    def prepare(self, rec: OpRecord) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
        if "weights" not in rec.tensors:
            return super().prepare(rec)
        return plan_per_dtype(lambda d: _ConstWeights(rec, d))

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        if "weights" in rec.tensors:
            return self.prepare(rec)(inputs)
        return self.run_blas(rec, inputs)

    def run_blas(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Any MatMul (two activations too) through ``int_matmul`` and int64 requant."""
        a, b = _operands(rec, inputs)
        acc = int_matmul(a, b, rec.attrs["a_zp"], rec.attrs["b_zp"])
        return [_finish(rec, acc, ref=False)]

    def ref(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        a, b = _operands(rec, inputs)
        acc = int_matmul_ref(a, b, rec.attrs["a_zp"], rec.attrs["b_zp"])
        return [_finish(rec, acc, ref=True)]
