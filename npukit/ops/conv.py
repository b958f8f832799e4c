"""Conv: N-d convolution with groups, dilation, pads and auto_pad.

Float kernel: im2col + BLAS (``np.matmul`` on float32); depthwise convolution
as a sum of shifted slices (one multiply-add per tap, no im2col copy); 1×1
stride-1 convolution as a plain matmul.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from npukit.errors import ShapeError
from npukit.ir import Node
from npukit.ops.base import ints
from npukit.ops.depthwise import DepthwiseTaps
from npukit.ops.fused import apply_activation
from npukit.ops.registry import Op, TensorType, register
from npukit.ops.shapes import UNKNOWN, auto_pads, numel, window_out


def conv_geometry(node: Node, x_shape: tuple, w_shape: tuple) -> tuple[list[int], ...]:
    """(kernel, strides, dilations, pads) with defaults and auto_pad resolved."""
    nsp = len(x_shape) - 2
    kernel = ints(node, "kernel_shape") or [int(d) for d in w_shape[2:]]
    strides = ints(node, "strides") or [1] * nsp
    dil = ints(node, "dilations") or [1] * nsp
    pads = auto_pads(x_shape[2:], kernel, strides, dil, node.attr("auto_pad", "NOTSET"),
                     ints(node, "pads") or None)
    return kernel, strides, dil, pads


@register
class Conv(Op):
    op_type = "Conv"
    versions = (1, 11, 22)

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x, w = ins[0], ins[1]
        if x is None or w is None or x.shape is None or w.shape is None:
            return [TensorType(x.dtype if x else None, None)]
        group = int(node.attr("group", 1))
        cin = x.shape[1]
        if isinstance(cin, int) and isinstance(w.shape[1], int) and cin != w.shape[1] * group:
            raise ShapeError(f"Conv {node.name!r}: input has {cin} channels but weights "
                             f"expect {w.shape[1]}×group {group}")
        k, s, d, p = conv_geometry(node, x.shape, w.shape)
        n = len(k)
        sp = [window_out(x.shape[2 + i], k[i], s[i], d[i], p[i], p[n + i]) for i in range(n)]
        return [TensorType(x.dtype, (x.shape[0], w.shape[0], *sp))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, w = inputs[0], inputs[1]
        b = inputs[2] if len(inputs) > 2 else None
        k, s, d, p = conv_geometry(node, x.shape, w.shape)
        y = conv_nd(x, w, s, d, p, int(node.attr("group", 1)))
        if b is not None:
            y += b.reshape((1, -1) + (1,) * (y.ndim - 2)).astype(y.dtype)
        return [apply_activation(node, y.astype(x.dtype, copy=False))]

    def macs(self, node: Node, ins: Sequence[TensorType | None],
             outs: Sequence[TensorType | None]) -> int:
        if not outs or outs[0] is None or ins[1] is None or ins[1].shape is None:
            return 0
        return numel(outs[0].shape) * numel(ins[1].shape[1:])


def pad_spatial(x: np.ndarray, pads: Sequence[int], value: float = 0.0) -> np.ndarray:
    n = x.ndim - 2
    if not any(pads):
        return x
    widths = [(0, 0), (0, 0)] + [(pads[i], pads[n + i]) for i in range(n)]
    return np.pad(x, widths, constant_values=value)


def windows(xp: np.ndarray, kernel: Sequence[int], strides: Sequence[int],
            dil: Sequence[int]) -> np.ndarray:
    """View (N, C, *out, *kernel) of sliding windows over a padded input (no copy)."""
    n = len(kernel)
    eff = [dil[i] * (kernel[i] - 1) + 1 for i in range(n)]
    v = np.lib.stride_tricks.sliding_window_view(xp, eff, axis=tuple(range(2, 2 + n)))
    sl = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in strides) \
        + tuple(slice(None, None, dd) for dd in dil)
    return v[sl]


def conv_nd(x: np.ndarray, w: np.ndarray, strides: Sequence[int], dil: Sequence[int],
            pads: Sequence[int], group: int) -> np.ndarray:
    """Float convolution, NC[D]HW layout, weights (M, C/group, *k)."""
    n_batch, cin = x.shape[:2]
    m, cg = w.shape[:2]
    kernel = list(w.shape[2:])
    dtype = np.result_type(x.dtype, w.dtype, np.float32)   # float16 accumulates in float32
    if group == cin and cg == 1 and m == cin and len(kernel) == 2:
        return _depthwise_2d(x, w, strides, dil, pads, dtype)
    xp = pad_spatial(x.astype(dtype, copy=False), pads)
    if group == cin and cg == 1 and m == cin:
        return _depthwise(xp, w.astype(dtype, copy=False), strides, dil)
    win = windows(xp, kernel, strides, dil)             # (N, C, *out, *k)
    out_sp = win.shape[2:2 + len(kernel)]
    nsp = len(kernel)
    if all(k == 1 for k in kernel) and group == 1:
        cols = win.reshape(n_batch, cin, -1)            # (N, C, P)
        y = np.matmul(w.reshape(m, cin).astype(dtype, copy=False), cols)
        return y.reshape((n_batch, m) + tuple(out_sp))
    order = (0, 1) + tuple(range(2 + nsp, 2 + 2 * nsp)) + tuple(range(2, 2 + nsp))
    cols = win.transpose(order).reshape(n_batch, group, cg * int(np.prod(kernel)), -1)
    wg = w.reshape(group, m // group, -1).astype(dtype, copy=False)
    y = np.matmul(wg, cols)                              # (N, g, M/g, P)
    return y.reshape((n_batch, m) + tuple(out_sp))


def _depthwise_2d(x: np.ndarray, w: np.ndarray, strides: Sequence[int], dil: Sequence[int],
                  pads: Sequence[int], dtype: np.dtype) -> np.ndarray:
    taps = DepthwiseTaps(w, strides, dil, pads, dtype)
    n, c, h, wd = x.shape
    out = np.empty((n, *taps.out_shape(h, wd), c), dtype)
    for b in range(n):
        for _ in taps.tiles(x[b], 0.0, out=out[b]):
            pass
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


def _depthwise(xp: np.ndarray, w: np.ndarray, strides: Sequence[int],
               dil: Sequence[int]) -> np.ndarray:
    return depthwise_taps(xp, w, strides, dil, xp.dtype)


def depthwise_taps(xp: np.ndarray, w: np.ndarray, strides: Sequence[int],
                   dil: Sequence[int], acc: np.dtype, zero_point: int = 0) -> np.ndarray:
    """Σ over kernel taps of (x − zero_point)·w[c, tap], accumulated in ``acc``.

    The padded NC… input is moved to channels-last once, so every tap is one
    multiply into a reused buffer and one add with the channel axis contiguous
    (much faster than channels-first slices with short rows or strides).
    Returns an N,C,… view.  Exact for integer ``acc`` (int32 for 8-bit codes).
    """
    nsp = xp.ndim - 2
    kernel = list(w.shape[2:])
    last = np.moveaxis(xp, 1, -1).astype(acc)              # (N, *sp, C), one copy
    if zero_point:
        last -= np.asarray(zero_point, acc)
    out = [(xp.shape[2 + i] - dil[i] * (kernel[i] - 1) - 1) // strides[i] + 1
           for i in range(nsp)]
    y = np.zeros((xp.shape[0], *out, xp.shape[1]), acc)
    tmp = np.empty_like(y)
    wl = np.moveaxis(w[:, 0].astype(acc), 0, -1)            # (*k, C)
    for tap in np.ndindex(*kernel):
        sl = tuple(slice(t * d, t * d + s * (o - 1) + 1, s)
                   for t, d, s, o in zip(tap, dil, strides, out))
        np.multiply(last[(slice(None),) + sl], wl[tap], out=tmp)
        y += tmp
    return np.moveaxis(y, -1, 1)


__all__ = ["Conv", "conv_geometry", "conv_nd", "depthwise_taps", "pad_spatial", "windows",
           "UNKNOWN"]

