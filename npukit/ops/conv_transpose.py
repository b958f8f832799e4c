"""ConvTranspose: N-d transposed convolution (groups, dilation, pads, auto_pad,
output_padding, output_shape).

Float kernel: one BLAS matmul per group gives every (output channel, kernel tap,
input pixel) product (``W^T · X``), then col2im scatters the taps into the
output with one strided add per kernel tap — never a loop over pixels.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from npukit.errors import ShapeError
from npukit.ir import Node
from npukit.ops.base import ints
from npukit.ops.registry import Op, TensorType, register
from npukit.ops.shapes import UNKNOWN, numel


def transpose_geometry(node: Node, x_shape: Sequence[Any], w_shape: Sequence[Any]
                       ) -> tuple[list[int], list[int], list[int], list[int], list[Any]]:
    """(kernel, strides, dilations, pads [b1..bn, e1..en], output spatial sizes).

    Follows the ONNX spec: an explicit ``output_shape`` (or ``auto_pad`` SAME_*)
    fixes the output size and the pads are derived from it, the odd unit of
    padding going to the end for SAME_UPPER and to the beginning otherwise.
    """
    sizes = list(x_shape[2:])
    n = len(sizes)
    kernel = ints(node, "kernel_shape") or [int(d) for d in w_shape[2:]]
    strides = ints(node, "strides") or [1] * n
    dil = ints(node, "dilations") or [1] * n
    out_pad = ints(node, "output_padding") or [0] * n
    auto_pad = node.attr("auto_pad", "NOTSET")
    out_shape = ints(node, "output_shape")[-n:] if node.attr("output_shape") else None
    pads = ints(node, "pads") or [0] * (2 * n)
    eff = [dil[i] * (kernel[i] - 1) + 1 for i in range(n)]
    if out_shape is None and auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        out_shape = [s * st if isinstance(s, int) else UNKNOWN for s, st in zip(sizes, strides)]
    if out_shape is not None:
        pads = [0] * (2 * n)
        for i in range(n):
            if not isinstance(sizes[i], int) or not isinstance(out_shape[i], int):
                continue
            total = strides[i] * (sizes[i] - 1) + out_pad[i] + eff[i] - out_shape[i]
            small = total // 2
            if auto_pad == "SAME_UPPER":
                pads[i], pads[n + i] = small, total - small
            else:
                pads[i], pads[n + i] = total - small, small
        return kernel, strides, dil, pads, list(out_shape)
    out: list[Any] = []
    for i in range(n):
        if not isinstance(sizes[i], int):
            out.append(UNKNOWN)
            continue
        out.append(strides[i] * (sizes[i] - 1) + out_pad[i] + eff[i] - pads[i] - pads[n + i])
    return kernel, strides, dil, pads, out


@register
class ConvTranspose(Op):
    op_type = "ConvTranspose"
    versions = (11, 22)

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x, w = ins[0], ins[1]
        if x is None or w is None or x.shape is None or w.shape is None:
            return [TensorType(x.dtype if x else None, None)]
        group = int(node.attr("group", 1))
        cin = x.shape[1]
        if isinstance(cin, int) and isinstance(w.shape[0], int) and cin != w.shape[0]:
            raise ShapeError(f"ConvTranspose {node.name!r}: input has {cin} channels but "
                             f"weights expect {w.shape[0]}")
        m = w.shape[1] * group if isinstance(w.shape[1], int) else UNKNOWN
        *_, out = transpose_geometry(node, x.shape, w.shape)
        return [TensorType(x.dtype, (x.shape[0], m, *out))]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, w = inputs[0], inputs[1]
        b = inputs[2] if len(inputs) > 2 else None
        _, strides, dil, pads, out = transpose_geometry(node, x.shape, w.shape)
        y = conv_transpose_nd(x, w, strides, dil, pads, out, int(node.attr("group", 1)))
        if b is not None:
            y += b.reshape((1, -1) + (1,) * (y.ndim - 2)).astype(y.dtype)
        return [np.ascontiguousarray(y, dtype=x.dtype)]

    def macs(self, node: Node, ins: Sequence[TensorType | None],
             outs: Sequence[TensorType | None]) -> int:
        if ins[0] is None or ins[1] is None or ins[0].shape is None or ins[1].shape is None:
            return 0
        return numel(ins[0].shape) * numel(ins[1].shape[1:])


def conv_transpose_nd(x: np.ndarray, w: np.ndarray, strides: Sequence[int],
                      dil: Sequence[int], pads: Sequence[int], out: Sequence[int],
                      group: int) -> np.ndarray:
    """Float transposed convolution, NC[D]HW layout, weights (C, M/group, *k)."""
    n_batch, cin = x.shape[:2]
    mg = w.shape[1]
    kernel = list(w.shape[2:])
    in_sp = list(x.shape[2:])
    dtype = np.result_type(x.dtype, w.dtype, np.float32)
    cg = cin // group
    wg = w.astype(dtype, copy=False).reshape(group, cg, mg * int(np.prod(kernel)))
    xg = x.astype(dtype, copy=False).reshape(n_batch, group, cg, -1)
    cols = np.matmul(wg.transpose(0, 2, 1), xg)          # (N, g, M/g·K, P)
    cols = cols.reshape((n_batch, group * mg, *kernel, *in_sp))
    return col2im(cols, strides, dil, pads, out, dtype)


def col2im(cols: np.ndarray, strides: Sequence[int], dil: Sequence[int],
           pads: Sequence[int], out: Sequence[int], dtype: np.dtype) -> np.ndarray:
    """Scatter per-tap products ``cols`` (N, M, *kernel, *in) into the (N, M, *out)
    output: tap ``t`` of input pixel ``i`` lands at ``i·stride + t·dil − pad``.

    One strided add per kernel tap into a buffer accumulated in ``dtype``.
    """
    nsp = (cols.ndim - 2) // 2
    kernel, in_sp = list(cols.shape[2:2 + nsp]), list(cols.shape[2 + nsp:])
    n_batch, m = cols.shape[:2]
    # The scatter buffer spans every position a tap reaches and the whole output
    # window, so negative pads (an output_shape larger than natural) also work.
    lo = [min(0, pads[i]) for i in range(nsp)]
    hi = [max((in_sp[i] - 1) * strides[i] + dil[i] * (kernel[i] - 1) + 1, pads[i] + out[i])
          for i in range(nsp)]
    buf = np.zeros((n_batch, m, *[hi[i] - lo[i] for i in range(nsp)]), dtype)
    for tap in np.ndindex(*kernel):
        dst = tuple(slice(tap[i] * dil[i] - lo[i],
                          tap[i] * dil[i] - lo[i] + (in_sp[i] - 1) * strides[i] + 1, strides[i])
                    for i in range(nsp))
        buf[(slice(None), slice(None)) + dst] += cols[(slice(None), slice(None)) + tap]
    crop = tuple(slice(pads[i] - lo[i], pads[i] - lo[i] + out[i]) for i in range(nsp))
    return buf[(slice(None), slice(None)) + crop]


__all__ = ["ConvTranspose", "col2im", "conv_transpose_nd", "transpose_geometry"]
