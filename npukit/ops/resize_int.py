"""Resize in integers: nearest as exact movement, linear with fixed-point weights.

Quant rule ``same_as_input``: nearest copies codes and linear interpolation
stays inside its neighbours' range, so the output shares the input's params.

* **nearest**: a ``Move`` record (:mod:`npukit.ops.movement_int`): the float
  kernel picks source indices and copies codes — exact for every coordinate
  transformation mode and nearest mode the float op supports.
* **linear** (1-, 2- or 3-axis: linear, bilinear, trilinear), every coordinate
  transformation mode except ``tf_crop_and_resize``, no antialias.  At
  lowering, each resized axis gets source coordinates ``c`` exactly as the
  float kernel computes them (``resize.source_coords``: float32 as ONNX
  Runtime), ``i0 = clip(floor c)``, ``i1 = clip(floor c + 1)`` and weights
  ``w1 = round(frac(c)·2^F)`` (half away from zero), ``w0 = 2^F − w1``, with
  ``F = 12`` bits for one or two axes and 8 for three.  The kernel sums over
  the ``2^k`` corners ``acc = Σ Π w · (q − zp_in)`` exactly in int64 (the
  weights of each axis sum to ``2^F``), then one requantization
  ``y = requantize(acc, s_in / (s_out·2^(F·k))) + zp_out`` with the target's
  rounding — a single rounding; with equal params it is ``round(acc / 2^(F·k))``.
  Within half an output step plus the weight rounding (≤ 2^-(F+1) of the
  neighbour difference per axis) of the float op.
* **cubic** runs in float (its overshoot leaves the input's range).

Record tensors (linear): ``idx<j>`` int32 (2, n_out) and ``w<j>`` int32 (2, n_out)
for the j-th resized axis; ``multiplier`` / ``shift`` int32 (1).  Attrs:
``axes``, ``in_zp``, output attrs.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from npukit.ir import Graph, Node
from npukit.numerics.fixedpoint import quantize_multiplier, requantize, requantize_ref
from npukit.numerics.rounding import RoundingMode, round_float
from npukit.ops.movement_int import lower_move
from npukit.ops.qlower import qparams
from npukit.ops.registry import IntKernel, LowerContext, lowering, register_kernel
from npukit.ops.rescale_int import per_tensor
from npukit.ops.resize import plan, source_coords
from npukit.program import OpRecord


def _axis_tables(ctm: str, n_out: int, n_in: int, scale: float, frac_bits: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    c = source_coords(ctm, n_out, n_in, scale, None)
    base = np.floor(c)
    w1 = round_float((c - base) * 2.0**frac_bits, RoundingMode.HALF_AWAY_FROM_ZERO)
    b = base.astype(np.int64)
    idx = np.stack([np.clip(b, 0, n_in - 1), np.clip(b + 1, 0, n_in - 1)])
    w = np.stack([2**frac_bits - w1.astype(np.int64), w1.astype(np.int64)])
    return idx.astype(np.int32), w.astype(np.int32)


def _sizes(node: Node, g: Graph) -> tuple[list[float] | None, list[int] | None] | str:
    got = []
    for k in (1, 2, 3):
        name = node.inputs[k] if len(node.inputs) > k else ""
        if name and g.values[name].const is None:
            return f"integer Resize needs constant roi/scales/sizes (input {k} is not)"
        c = g.values[name].const if name else None
        got.append(None if c is None or np.size(c) == 0 else
                   [float(v) for v in np.asarray(c).reshape(-1)])
    return got[1], None if got[2] is None else [int(v) for v in got[2]]


@lowering("Resize", quant_rule="same_as_input")
def lower_resize(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    mode = node.attr("mode", "nearest")
    if mode == "nearest":
        return lower_move(node, g, ctx)
    if mode != "linear":
        return f"Resize {mode} runs in float: its overshoot leaves the input's range"
    ctm = node.attr("coordinate_transformation_mode", "half_pixel")
    if ctm == "tf_crop_and_resize" or node.attr("antialias", 0):
        return f"Resize linear with {'antialias' if node.attr('antialias', 0) else ctm} " \
               "has no integer kernel (float)"
    qx, qy = qparams(g, node.inputs[0]), qparams(g, node.outputs[0])
    shape = g.values[node.inputs[0]].shape
    if not per_tensor(qx, qy) or shape is None or not all(isinstance(d, int) for d in shape):
        return "integer Resize needs per-tensor params and a static input shape"
    got = _sizes(node, g)
    if isinstance(got, str):
        return got
    axes, out, sc = plan(node, tuple(shape), got[0], got[1])
    moved = [(a, sc[i]) for i, a in enumerate(axes) if out[a] != shape[a] or sc[i] != 1.0]
    if len(moved) > 3:
        return "integer Resize linear interpolates at most 3 axes"
    frac = 12 if len(moved) <= 2 else 8
    real = np.float64(qx.scale[0]) / np.float64(qy.scale[0]) / 2.0**(frac * len(moved))
    if real < 2.0**-31:
        return "Resize output scale is too large for the integer kernel's multiplier"
    mult, shift = quantize_multiplier(np.array([real]))
    tensors = {"multiplier": mult, "shift": shift}
    for j, (a, s) in enumerate(moved):
        tensors[f"idx{j}"], tensors[f"w{j}"] = _axis_tables(ctm, int(out[a]), shape[a], s, frac)
    attrs = {"axes": [a for a, _ in moved], "in_zp": int(qx.zero_point[0]),
             "out_zp": int(qy.zero_point[0]), "out_dtype": qy.dtype, "rounding": ctx.rounding}
    return OpRecord("ResizeLinear", node.name, [], [], attrs, tensors)


def _finish(rec: OpRecord, acc: np.ndarray, ref: bool) -> np.ndarray:
    a, fn = rec.attrs, requantize_ref if ref else requantize
    return fn(acc, int(rec.tensors["multiplier"][0]), int(rec.tensors["shift"][0]),
              a["out_zp"], a["out_dtype"], a["rounding"])


@register_kernel
class ResizeLinearKernel(IntKernel):
    """Σ over corners of Π fixed-point weights × centred codes, one requantization."""

    name = "ResizeLinear"

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Separable and exact: each axis in turn, ``w0·acc[i0] + w1·acc[i1]`` in int64
        (no rounding between axes, so it equals the sum over corners)."""
        acc = inputs[0].astype(np.int64) - rec.attrs["in_zp"]
        for j, a in enumerate(rec.attrs["axes"]):
            idx, w = rec.tensors[f"idx{j}"], rec.tensors[f"w{j}"].astype(np.int64)
            shape = (1,) * a + (-1,) + (1,) * (acc.ndim - a - 1)
            acc = np.take(acc, idx[0], axis=a) * w[0].reshape(shape) + \
                np.take(acc, idx[1], axis=a) * w[1].reshape(shape)
        return [_finish(rec, acc, ref=False)]

    def ref(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Per output element, in Python integers: Σ over the 2^k corners of the
        product of the axes' weights times the centred code at that corner."""
        x, axes = inputs[0], rec.attrs["axes"]
        idx = [rec.tensors[f"idx{j}"] for j in range(len(axes))]
        w = [rec.tensors[f"w{j}"] for j in range(len(axes))]
        shape = list(x.shape)
        for j, a in enumerate(axes):
            shape[a] = idx[j].shape[1]
        acc = np.empty(shape, np.int64)
        for o in np.ndindex(*shape):
            total = 0
            for corner in np.ndindex(*([2] * len(axes))):
                pos, weight = list(o), 1
                for j, a in enumerate(axes):
                    pos[a] = int(idx[j][corner[j], o[a]])
                    weight *= int(w[j][corner[j], o[a]])
                total += weight * (int(x[tuple(pos)]) - rec.attrs["in_zp"])
            acc[o] = total
        return [_finish(rec, acc, ref=True)]
