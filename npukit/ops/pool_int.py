"""Pooling in integers: MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool.

* **MaxPool / GlobalMaxPool** (quant rule ``same_as_input``): the maximum of
  the codes in each window; padding (explicit and the ``ceil_mode`` tail) is
  the dtype minimum, so it never wins.  Exact.  If the output params differ
  from the input's (an override) the maxima are rescaled once (requantization
  is monotone, so that equals pooling the rescaled codes).
* **AveragePool / GlobalAveragePool** (quant rule ``observe``): ``acc = Σ (q −
  zp_in)`` over the window (pads are real 0, i.e. centred 0), then
  ``avg = round(acc / count)`` exactly (``rounding_divide``, the target's mode),
  ``count`` following ``count_include_pad`` as the float op does (explicit pads
  counted when set, the ceil tail never).  Equal params: ``y = avg + zp``,
  exactly rounded.  Otherwise the average keeps ``F = 16`` fraction bits,
  ``avg = round(acc·2^F / count)``, and ``y = requantize(avg, s_in / (2^F·s_out))
  + zp_out``: the first rounding costs at most ``2^-17`` input steps, so the
  result is within half an output step (plus that) of the exact average.

Geometry is resolved at lowering (kernel, strides, dilations, pads, ceil tail);
AveragePool's per-position ``count`` is a record tensor.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from npukit.ir import Graph, Node, QuantParams
from npukit.numerics.fixedpoint import quantize_multiplier, requantize, requantize_ref
from npukit.numerics.pool import rounding_divide, rounding_divide_ref
from npukit.numerics.rounding import round_div_ref
from npukit.numerics.saturate import qrange, saturate
from npukit.ops.conv import pad_spatial, windows
from npukit.ops.pool import pool_geometry, pooled_view, reduce_taps
from npukit.ops.qlower import qparams
from npukit.ops.registry import IntKernel, LowerContext, lowering, register_kernel
from npukit.ops.rescale_int import per_tensor, rescale, rescale_attrs
from npukit.program import OpRecord

FRAC_BITS = 16   # fraction bits the average keeps when it is requantized afterwards


def _geometry(node: Node, shape: tuple) -> dict:
    k, s, d, p, out = pool_geometry(node, shape)
    n = len(k)
    tail = [max(0, (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1
                - (shape[2 + i] + p[i] + p[n + i])) for i in range(n)]
    return {"kernel": k, "strides": s, "dilations": d, "pads": p, "tail": tail, "out": out}


def _io(node: Node, g: Graph) -> tuple[QuantParams, QuantParams, tuple] | str:
    qx, qy = qparams(g, node.inputs[0]), qparams(g, node.outputs[0])
    shape = g.values[node.inputs[0]].shape
    if not per_tensor(qx, qy):
        return f"per-channel params on an integer {node.op_type} input or output"
    if shape is None or len(shape) < 3 or not all(isinstance(v, int) for v in shape):
        return f"integer {node.op_type} needs a static N-C-spatial input shape"
    return qx, qy, tuple(shape)


def _average_tail(qx: QuantParams, qy: QuantParams, ctx: LowerContext) -> tuple[dict, dict]:
    requant = not qx.same_as(qy)
    frac = FRAC_BITS if requant else 0
    attrs = {"in_zp": int(qx.zero_point[0]), "out_zp": int(qy.zero_point[0]),
             "out_dtype": qy.dtype, "rounding": ctx.rounding, "requant": requant,
             "frac_bits": frac}
    mult, shift = quantize_multiplier(np.float64(qx.scale[0]) / np.float64(qy.scale[0])
                                      / 2.0**frac)
    return attrs, {"multiplier": mult.reshape(1), "shift": shift.reshape(1)}


@lowering("MaxPool", quant_rule="same_as_input")
def lower_maxpool(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    got = _io(node, g)
    if isinstance(got, str):
        return got
    qx, qy, shape = got
    attrs = {**_geometry(node, shape), "in_dtype": qx.dtype,
             "rescale": rescale_attrs(qx, qy, ctx.rounding)}
    return OpRecord("MaxPool", node.name, [], [], attrs)


@lowering("AveragePool")
def lower_avgpool(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    got = _io(node, g)
    if isinstance(got, str):
        return got
    qx, qy, shape = got
    attrs, tensors = _average_tail(qx, qy, ctx)
    include = 1 if node.attr("count_include_pad", 0) else 0
    ones = np.ones((1, 1) + shape[2:], np.int32)
    count = reduce_taps(pooled_view(ones, node, 0, include)[0], len(shape) - 2, np.add)
    attrs.update(_geometry(node, shape), count_include_pad=include)
    tensors["count"] = np.maximum(count, 1).astype(np.int32)
    return OpRecord("AveragePool", node.name, [], [], attrs, tensors)


def _lower_global(node: Node, g: Graph, ctx: LowerContext, reduce: str) -> OpRecord | str:
    got = _io(node, g)
    if isinstance(got, str):
        return got
    qx, qy, _ = got
    attrs, tensors = _average_tail(qx, qy, ctx)
    attrs.update(reduce=reduce, in_dtype=qx.dtype, rescale=rescale_attrs(qx, qy, ctx.rounding))
    return OpRecord("GlobalPool", node.name, [], [], attrs, tensors)


@lowering("GlobalMaxPool", quant_rule="same_as_input")
def lower_global_max(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    return _lower_global(node, g, ctx, "max")


@lowering("GlobalAveragePool")
def lower_global_avg(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    return _lower_global(node, g, ctx, "mean")


def _view(x: np.ndarray, a: dict, fill: int) -> np.ndarray:
    """(N, C, *out, *kernel) windows of ``x`` padded with ``fill`` (pads and tail)."""
    n = len(a["kernel"])
    xp = pad_spatial(pad_spatial(x, a["pads"], fill), [0] * n + a["tail"], fill)
    win = windows(xp, a["kernel"], a["strides"], a["dilations"])
    return win[(slice(None), slice(None)) + tuple(slice(0, o) for o in a["out"])]


def _taps(a: dict, o: tuple, shape: tuple, include_pad: bool) -> tuple[list[tuple], int]:
    """Reference geometry: input positions of output ``o``'s window, and its count."""
    n, pos, count = len(a["kernel"]), [], 0
    for tap in np.ndindex(*a["kernel"]):
        c = [o[i] * a["strides"][i] - a["pads"][i] + tap[i] * a["dilations"][i]
             for i in range(n)]
        inside = all(0 <= c[i] < shape[i] for i in range(n))
        padded = all(-a["pads"][i] <= c[i] < shape[i] + a["pads"][n + i] for i in range(n))
        count += inside or (include_pad and padded)
        if inside:
            pos.append(tuple(c))
    return pos, max(count, 1)


def _average_out(rec: OpRecord, avg: np.ndarray, ref: bool) -> np.ndarray:
    a = rec.attrs
    if not a["requant"]:
        return saturate(avg + a["in_zp"], a["out_dtype"])
    fn = requantize_ref if ref else requantize
    return fn(avg, int(rec.tensors["multiplier"][0]), int(rec.tensors["shift"][0]),
              a["out_zp"], a["out_dtype"], a["rounding"])


@register_kernel
class MaxPoolKernel(IntKernel):
    name = "MaxPool"

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        a = rec.attrs
        win = _view(inputs[0], a, qrange(a["in_dtype"])[0])
        return [rescale(reduce_taps(win, len(a["kernel"]), np.maximum), a["rescale"])]

    def ref(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        a, x = rec.attrs, inputs[0]
        low = qrange(a["in_dtype"])[0]
        y = np.empty(x.shape[:2] + tuple(a["out"]), x.dtype)
        for idx in np.ndindex(y.shape):
            pos, _ = _taps(a, idx[2:], x.shape[2:], False)
            y[idx] = max([low] + [int(x[idx[:2] + p]) for p in pos])
        return [rescale(y, a["rescale"], ref=True)]


@register_kernel
class AveragePoolKernel(IntKernel):
    name = "AveragePool"

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        a = rec.attrs
        win = _view(inputs[0].astype(np.int64) - a["in_zp"], a, 0)
        acc = reduce_taps(win, len(a["kernel"]), np.add)
        avg = rounding_divide(acc << a["frac_bits"], rec.tensors["count"], a["rounding"])
        return [_average_out(rec, avg, ref=False)]

    def ref(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Per output position: Σ (q − zp) over the window's inside taps, the count from
        the geometry (not the record's tensor), one exact rounding division."""
        a, x = rec.attrs, inputs[0]
        avg = np.empty(x.shape[:2] + tuple(a["out"]), np.int64)
        for idx in np.ndindex(avg.shape):
            pos, count = _taps(a, idx[2:], x.shape[2:], bool(a["count_include_pad"]))
            acc = sum(int(x[idx[:2] + p]) - a["in_zp"] for p in pos)
            avg[idx] = round_div_ref(acc * 2 ** a["frac_bits"], count, a["rounding"])
        return [_average_out(rec, avg, ref=True)]


@register_kernel
class GlobalPoolKernel(IntKernel):
    """Max or rounded mean over all spatial positions of each (N, C)."""

    name = "GlobalPool"

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        a, x = rec.attrs, inputs[0]
        axes = tuple(range(2, x.ndim))
        if a["reduce"] == "max":
            return [rescale(x.max(axis=axes, keepdims=True), a["rescale"])]
        acc = (x.astype(np.int64) - a["in_zp"]).sum(axis=axes, keepdims=True)
        count = int(np.prod(x.shape[2:]))
        avg = rounding_divide(acc << a["frac_bits"], count, a["rounding"])
        return [_average_out(rec, avg, ref=False)]

    def ref(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        a, x = rec.attrs, inputs[0]
        y = np.empty(x.shape[:2] + (1,) * (x.ndim - 2), np.int64)
        for n, c in np.ndindex(x.shape[:2]):
            vals = [int(v) for v in x[n, c].reshape(-1)]
            out = (n, c) + (0,) * (x.ndim - 2)
            y[out] = max(vals) if a["reduce"] == "max" else \
                sum(v - a["in_zp"] for v in vals) * 2 ** a["frac_bits"]
        if a["reduce"] == "max":
            return [rescale(y.astype(x.dtype), a["rescale"], ref=True)]
        avg = rounding_divide_ref(y, np.int64(int(np.prod(x.shape[2:]))), a["rounding"])
        return [_average_out(rec, avg, ref=True)]
