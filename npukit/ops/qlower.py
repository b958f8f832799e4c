"""Shared lowering arithmetic for integer records (docs/numerics.md).

Weights are quantized here from their float constants and per-channel params;
bias becomes int32 at ``s_in × s_w[c]`` with zero point 0; the requantization
multiplier ``s_in × s_w[c] / s_out`` becomes (Q31 multiplier, shift); a fused
Relu / Clip becomes clamp bounds on the output codes.
"""

from __future__ import annotations

import numpy as np

from npukit.ir import Graph, Node, QuantParams
from npukit.numerics.fixedpoint import quantize_multiplier, requantize, requantize_ref
from npukit.numerics.quantize import quantize
from npukit.numerics.rounding import RoundingMode
from npukit.numerics.saturate import storage_dtype
from npukit.program import OpRecord

CLAMP_ACTIVATIONS = ("Relu", "Clip")


def qparams(g: Graph, name: str) -> QuantParams:
    q = g.values[name].quant
    assert q is not None, f"value {name!r} has no quant params"
    return q


def quantized_weights(g: Graph, name: str, mode: str) -> tuple[np.ndarray, QuantParams] | str:
    """Integer weights of constant ``name`` (symmetric), or why not."""
    v = g.values[name]
    if v.const is None:
        return f"weights {name!r} are not constant"
    q = v.quant
    if q is None:
        return f"weights {name!r} have no quant params"
    if np.any(q.zero_point != 0):
        return f"weights {name!r} are not symmetric (zero point ≠ 0)"
    w = quantize(v.const.astype(np.float64), q.scale.astype(np.float64), 0, q.dtype,
                 RoundingMode.parse(mode), axis=q.axis)
    return w, q


def channel_scales(q: QuantParams, channels: int) -> np.ndarray:
    return np.broadcast_to(q.scale.astype(np.float64), (channels,)).copy()


def bias_int32(b: np.ndarray | None, s_in: float, s_w: np.ndarray, mode: str) -> np.ndarray:
    if b is None:
        return np.zeros(s_w.shape, np.int32)
    return quantize(b.astype(np.float64), s_in * s_w, 0, "int32", RoundingMode.parse(mode))


def requant(s_in: float, s_w: np.ndarray, s_out: float) -> tuple[np.ndarray, np.ndarray]:
    """(multiplier, shift) int32 arrays for ``s_in × s_w / s_out`` per channel."""
    return quantize_multiplier(np.float64(s_in) * s_w / np.float64(s_out))


def clamp_bounds(node: Node, out: QuantParams, mode: str) -> tuple[int, int] | str:
    """Output code bounds for the node's fused activation (the dtype range if none)."""
    lo, hi = out.qmin, out.qmax
    act = node.attrs.get("activation")
    if not act:
        return lo, hi
    if act not in CLAMP_ACTIVATIONS:
        return f"fused {act} is not a clamp; keep it a separate node for a lookup table"
    params = [float(p) for p in node.attrs.get("activation_params", [])]
    real_lo = 0.0 if act == "Relu" else (params[0] if params else -np.inf)
    real_hi = np.inf if act == "Relu" else (params[1] if len(params) > 1 else np.inf)
    s, zp = float(out.scale[0]), int(out.zero_point[0])
    m = RoundingMode.parse(mode)
    if np.isfinite(real_lo):
        lo = max(lo, int(quantize(np.float64(real_lo), np.float64(s), zp, "int32", m)))
    if np.isfinite(real_hi):
        hi = min(hi, int(quantize(np.float64(real_hi), np.float64(s), zp, "int32", m)))
    return lo, hi


def out_attrs(out: QuantParams, bounds: tuple[int, int], mode: str) -> dict:
    return {"out_dtype": out.dtype, "out_zp": int(out.zero_point[0]), "clamp_min": bounds[0],
            "clamp_max": bounds[1], "rounding": mode}


def storage(dtype: str) -> np.dtype:
    return storage_dtype(dtype)


def finish_channels(rec: OpRecord, acc: np.ndarray, ref: bool) -> np.ndarray:
    """Add the record's int32 bias and requantize per output channel (axis 1): the
    last step of the Conv / ConvTranspose kernels (``requantize_ref`` when ``ref``)."""
    a = rec.attrs
    acc = acc + rec.tensors["bias"].astype(np.int64).reshape((1, -1) + (1,) * (acc.ndim - 2))
    fn = requantize_ref if ref else requantize
    return fn(acc, rec.tensors["multiplier"], rec.tensors["shift"], a["out_zp"],
              a["out_dtype"], a["rounding"], a["clamp_min"], a["clamp_max"], axis=1)


def weighted_operands(node: Node, g: Graph, mode: str
                      ) -> tuple[QuantParams, QuantParams, np.ndarray, QuantParams,
                                 tuple[int, int]] | str:
    """``(qx, qy, weight codes, weight params, clamp bounds)`` of a Conv-like node with
    constant weights at input 1 — the shared first step of its lowering — or why the
    node cannot lower."""
    qx, qy = qparams(g, node.inputs[0]), qparams(g, node.outputs[0])
    if qx.per_channel or qy.per_channel:
        return f"per-channel activation params are not supported by integer {node.op_type}"
    got = quantized_weights(g, node.inputs[1], mode)
    if isinstance(got, str):
        return got
    bounds = clamp_bounds(node, qy, mode)
    if isinstance(bounds, str):
        return bounds
    return qx, qy, got[0], got[1], bounds
