"""Resize (opset 13-19 semantics): nearest / linear / cubic, every coordinate
transformation mode, scales or sizes, ``axes``, ``keep_aspect_ratio_policy`` and
``antialias``.

Resizing is separable: each resized axis is done in turn by gathering ``n``
neighbours per output position and taking a weighted sum (the ONNX reference
formulation, vectorised).  Source coordinates and output sizes are computed
in float32 as ONNX Runtime does (the ONNX reference uses float64; the two
differ only at exact ties); weighted sums run in the input's float type
(float64 for other types), then cast back.
align_corners uses the integer output length, as the operator text and ORT do
(the reference uses the fractional scale × length).
Upsample does not exist at opset 21; the importer's version converter turns
it into Resize, so it has no class here.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from npukit.errors import ShapeError, UnsupportedOpError
from npukit.ir import Node
from npukit.ops.registry import Op, TensorType, register
from npukit.ops.shape_ops import Consts, Types, arg, dtype_of, shape_of
from npukit.ops.shapes import UNKNOWN, norm_axis

_CTM = ("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
        "asymmetric", "tf_crop_and_resize")


def _floats(v: Any) -> list[float] | None:
    return None if v is None or np.asarray(v).size == 0 else \
        [float(t) for t in np.asarray(v).reshape(-1)]


def plan(node: Node, shape: Sequence[Any], scales: list[float] | None,
         sizes: list[int] | None) -> tuple[list[int], list[Any], list[float]]:
    """(axes, output dims, per-axis scales) of a Resize over ``shape``."""
    r = len(shape)
    axes = [norm_axis(int(a), r) for a in node.attr("axes") or range(r)]
    if sizes is not None:
        if len(sizes) != len(axes):
            raise ShapeError(f"Resize {node.name!r}: {len(sizes)} sizes for {len(axes)} axes")
        policy = node.attr("keep_aspect_ratio_policy", "stretch")
        if not all(isinstance(shape[a], int) for a in axes):
            out = [sizes[axes.index(a)] if a in axes and policy == "stretch" else
                   (UNKNOWN if a in axes else shape[a]) for a in range(r)]
            return axes, out, []
        sc = [sizes[i] / shape[a] for i, a in enumerate(axes)]
        if policy != "stretch":
            if policy not in ("not_larger", "not_smaller"):
                raise UnsupportedOpError("Resize", node.name,
                                         detail=f"keep_aspect_ratio_policy {policy!r}")
            s = min(sc) if policy == "not_larger" else max(sc)
            sc = [s] * len(axes)
            sizes = [int(s * shape[a] + 0.5) for a in axes]
        out = list(shape)
        for i, a in enumerate(axes):
            out[a] = sizes[i]
        return axes, out, sc
    if scales is None or len(scales) != len(axes):
        raise ShapeError(f"Resize {node.name!r}: needs scales or sizes for axes {axes}")
    out = list(shape)
    for s, a in zip(scales, axes):
        d = shape[a]
        # float32 product, as ONNX Runtime computes it (0.7 * 10 gives 7, not 6)
        out[a] = int(np.floor(np.float32(d) * np.float32(s))) if isinstance(d, int) else \
            (d if s == 1.0 else UNKNOWN)
    return axes, out, scales


@register
class Resize(Op):
    op_type = "Resize"
    versions = (13, 18, 19)

    def infer(self, node: Node, ins: Types, consts: Consts) -> list[TensorType]:
        x, dt = shape_of(ins[0]), dtype_of(ins[0])
        if x is None:
            return [TensorType(dt, None)]
        sizes, scales = _floats(arg(consts, 3)), _floats(arg(consts, 2))
        given_sizes = sizes is not None or (arg(ins, 3) is not None and
                                            shape_of(ins[3]) != (0,))
        if (given_sizes and sizes is None) or (not given_sizes and scales is None):
            return [TensorType(dt, tuple(UNKNOWN for _ in x))]
        isizes = None if sizes is None else [int(v) for v in sizes]
        return [TensorType(dt, tuple(plan(node, x, scales, isizes)[1]))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        roi, scales, sizes = (_floats(arg(inputs, i)) for i in (1, 2, 3))
        axes, out, sc = plan(node, x.shape, scales, None if sizes is None else
                             [int(v) for v in sizes])
        mode = node.attr("mode", "nearest")
        if mode not in ("nearest", "linear", "cubic"):
            raise UnsupportedOpError("Resize", node.name, detail=f"mode {mode!r}")
        ctm = node.attr("coordinate_transformation_mode", "half_pixel")
        if ctm not in _CTM:
            raise UnsupportedOpError("Resize", node.name,
                                     detail=f"coordinate_transformation_mode {ctm!r}")
        if node.attr("antialias", 0) and mode == "nearest":
            raise UnsupportedOpError("Resize", node.name, detail="antialias with nearest")
        y = x.astype(x.dtype if x.dtype in (np.float32, np.float64) else np.float64)
        for i, a in enumerate(axes):
            box = None if roi is None or ctm != "tf_crop_and_resize" else \
                (roi[i], roi[len(axes) + i])
            if out[a] == x.shape[a] and sc[i] == 1.0 and box in (None, (0.0, 1.0)):
                continue
            y = _resize_axis(node, y, a, int(out[a]), sc[i], mode, ctm, box)
        if x.dtype.kind in "iu":
            info = np.iinfo(x.dtype)
            y = np.clip(np.trunc(y), info.min, info.max)  # ORT truncates, not rounds
        return [y.astype(x.dtype)]


def source_coords(ctm: str, n_out: int, n_in: int, scale: float,
                  box: tuple[float, float] | None) -> np.ndarray:
    """Input coordinate of each output position, computed in float32 as ONNX Runtime and
    PyTorch do (float64 would round exact-tie cases of nearest differently)."""
    if ctm == "half_pixel_symmetric":  # ONNX Runtime computes this one in double
        y = np.arange(n_out, dtype=np.float64)
        offset = n_in / 2 * (1 - n_out / (scale * n_in))
        return offset + (y + 0.5) / scale - 0.5
    return _coords(ctm, n_out, np.float32(n_in), np.float32(scale), box).astype(np.float64)


def _coords(ctm: str, n_out: int, n_in: np.float32, scale: np.float32,
            box: tuple[float, float] | None) -> np.ndarray:
    y = np.arange(n_out, dtype=np.float32)
    one, half = np.float32(1), np.float32(0.5)
    if ctm == "align_corners":
        return np.zeros(n_out, np.float32) if n_out == 1 else \
            y * (n_in - one) / np.float32(n_out - 1)
    if ctm == "asymmetric":
        return y / scale
    if ctm == "tf_crop_and_resize":
        if box is None:
            raise ShapeError("Resize: tf_crop_and_resize needs the roi input")
        b0, b1 = np.float32(box[0]), np.float32(box[1])
        if n_out == 1:
            return np.full(1, (b1 - b0) * (n_in - one) / 2 + b0 * (n_in - one), np.float32)
        return y * (b1 - b0) * (n_in - one) / np.float32(n_out - 1) + b0 * (n_in - one)
    if ctm == "pytorch_half_pixel":
        return np.zeros(1, np.float32) if n_out == 1 else (y + half) / scale - half
    return (y + half) / scale - half


def _nearest(mode: str, xo: np.ndarray) -> np.ndarray:
    if mode == "round_prefer_floor":
        return np.ceil(xo - 0.5)
    if mode == "round_prefer_ceil":
        return np.floor(xo + 0.5)
    if mode == "floor":
        return np.floor(xo)
    if mode == "ceil":
        return np.ceil(xo)
    raise ShapeError(f"Resize: unknown nearest_mode {mode!r}")


def _cubic(t: np.ndarray, a: float) -> np.ndarray:
    t = np.abs(t)
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return np.where(t <= 1, near, np.where(t < 2, far, 0.0))


def coefficients(node: Node, mode: str, ratio: np.ndarray, scale: float
                 ) -> np.ndarray:
    """(n_out, n) interpolation weights for the neighbours of each output position."""
    if node.attr("antialias", 0) and scale < 1.0:
        support = 1.0 if mode == "linear" else 2.0
        start = int(np.floor(-support / scale) + 1)
        taps = np.arange(start, 2 - start)
        t = (taps[None, :] - ratio[:, None]) * scale
        w = np.clip(1 - np.abs(t), 0, 1) if mode == "linear" else \
            _cubic(t, float(node.attr("cubic_coeff_a", -0.75)))
        return w / w.sum(axis=1, keepdims=True)
    if mode == "linear":
        return np.stack([1 - ratio, ratio], axis=1)
    taps = np.arange(-1, 3)
    return _cubic(taps[None, :] - ratio[:, None], float(node.attr("cubic_coeff_a", -0.75)))


def _resize_axis(node: Node, x: np.ndarray, axis: int, n_out: int, scale: float, mode: str,
                 ctm: str, box: tuple[float, float] | None) -> np.ndarray:
    n_in = x.shape[axis]
    xo = source_coords(ctm, n_out, n_in, scale, box)
    if mode == "nearest":
        idx = _nearest(node.attr("nearest_mode", "round_prefer_floor"), xo)
        y = np.take(x, np.clip(idx, 0, n_in - 1).astype(np.intp), axis=axis)
    else:
        base = np.floor(xo)
        frac = xo - base
        exact = frac == 0
        ratio = np.where(exact, 1.0, frac)   # ONNX prefers the left neighbour: ratio in (0, 1]
        w = coefficients(node, mode, ratio, scale)
        n = w.shape[1]
        first = base.astype(np.int64) - n // 2 + np.where(exact, 0, 1)
        nbr = first[:, None] + np.arange(n)[None, :]
        if node.attr("exclude_outside", 0):
            w = np.where((nbr < 0) | (nbr >= n_in), 0.0, w)
            w = w / np.where(w.sum(axis=1, keepdims=True) == 0, 1.0,
                             w.sum(axis=1, keepdims=True))
        nbr = np.clip(nbr, 0, n_in - 1)
        bshape = (1,) * axis + (n_out,) + (1,) * (x.ndim - axis - 1)
        y = sum(np.take(x, nbr[:, j], axis=axis) * w[:, j].astype(x.dtype).reshape(bshape)
                for j in range(n))  # one pass per tap, not per pixel
    if ctm == "tf_crop_and_resize":
        bad = ((xo < 0) | (xo > n_in - 1)).reshape((1,) * axis + (-1,) + (1,) * (x.ndim - axis
                                                                                  - 1))
        y = np.where(bad, float(node.attr("extrapolation_value", 0.0)), y)
    return y


__all__ = ["Resize", "coefficients", "plan", "source_coords"]
