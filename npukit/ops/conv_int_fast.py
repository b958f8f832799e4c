"""Fast integer Conv, planned once per record: tiled float BLAS / taps + float requant.

Equal to ``ConvKernel.ref`` to the bit (property-tested).  At plan time the
weights become float32 (float64 where a partial sum could pass 2^24), the
input zero point folds into the bias (``Σ w·(x − zp) = Σ w·(x − c) − (zp − c)·Σ w``
with ``c`` = 128 for uint8 inputs, else 0, so the BLAS operand is the code
itself), and the requantization becomes a :class:`RequantPlan`.  At run
time the output is produced in tiles of about ``TILE`` accumulators, so the
accumulator, its float64 requant scratch and the codes stay in cache
(docs/numerics.md §7.2).

Three shapes of work: pointwise (1×1, stride 1, no pad: one GEMM per pixel
tile), depthwise 2-D (channels-last taps per row tile) and the rest
(im2col per row tile, one GEMM per group).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from npukit.numerics.gemm import GemmPlan, centre_of
from npukit.numerics.requant_float import RequantPlan
from npukit.ops.conv import windows
from npukit.ops.depthwise import DepthwiseTaps
from npukit.program import OpRecord

#: accumulators per tile (float32 acc + float64 scratch ≈ 384 KiB: in L2)
TILE = 32768
#: but at least this many pixels per GEMM tile: BLAS loses its speed on narrower products
MIN_COLS = 256

Run = Callable[[Sequence[np.ndarray]], list[np.ndarray]]


def _requant(rec: OpRecord, bias: np.ndarray, channel_shape: tuple[int, ...],
             acc_bound: float) -> RequantPlan:
    a, t = rec.attrs, rec.tensors
    return RequantPlan(t["multiplier"], t["shift"], a["out_zp"], a["out_dtype"],
                       a["rounding"], a["clamp_min"], a["clamp_max"], bias=bias,
                       channel_shape=channel_shape, acc_bound=acc_bound)


def plan_conv(rec: OpRecord, in_dtype: np.dtype) -> Run | None:
    """The fast runner for Conv record ``rec`` on inputs of ``in_dtype``, or None
    when the shape of work has no fast path here (N-d with groups …)."""
    a, w = rec.attrs, rec.tensors["weights"]
    nsp = w.ndim - 2
    m, cg = w.shape[:2]
    group = a["group"]
    if group == 1 and all(k == 1 for k in w.shape[2:]) and not any(a["pads"]) \
            and all(s == 1 for s in a["strides"]):
        return _Pointwise(rec, in_dtype)
    if nsp == 2 and cg == 1 and group == m and group > 1:
        return _Depthwise(rec, in_dtype)
    if nsp == 2:
        return _General(rec, in_dtype)
    return None


def _folded_bias(rec: OpRecord, w2: np.ndarray, in_dtype: np.dtype) -> np.ndarray:
    """Bias with the input zero point folded in, per output channel (int64)."""
    shift = rec.attrs["in_zp"] - centre_of(in_dtype)
    return rec.tensors["bias"].astype(np.int64) - shift * w2.astype(np.int64).sum(axis=1)


class _Pointwise:
    """1×1 stride-1 Conv: ``W (M, C) @ X (C, pixels)`` per tile of pixels."""

    def __init__(self, rec: OpRecord, in_dtype: np.dtype) -> None:
        w2 = rec.tensors["weights"].reshape(rec.tensors["weights"].shape[0], -1)
        self.gemm = GemmPlan(w2, in_dtype)
        self.rq = _requant(rec, _folded_bias(rec, w2, in_dtype), (-1, 1), self.gemm.acc_bound)

    def __call__(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        x = inputs[0]
        n, c = x.shape[:2]
        m = self.gemm.rows
        px = int(np.prod(x.shape[2:], dtype=np.int64))
        out = np.empty((n, m, px), self.rq.out_dtype)
        xf = self.gemm.operand(x.reshape(n, c, px))
        step = max(MIN_COLS, TILE // max(m, 1))
        work = np.empty(m * min(step, px))
        for b in range(n):
            for j in range(0, px, step):
                acc = self.gemm.matmul(xf[b, :, j:j + step])
                self.rq.apply(acc, out[b, :, j:j + step], work[:acc.size].reshape(acc.shape))
        return [out.reshape((n, m) + x.shape[2:])]


class _Depthwise:
    """Depthwise 2-D Conv: channels-last taps over row tiles (ops/depthwise.py)."""

    def __init__(self, rec: OpRecord, in_dtype: np.dtype) -> None:
        a, w = rec.attrs, rec.tensors["weights"]
        w2 = w.reshape(w.shape[0], -1)
        self.gemm = GemmPlan(w2, in_dtype)                     # only its bounds / dtype
        self.taps = DepthwiseTaps(w, a["strides"], a["dilations"], a["pads"],
                                  self.gemm.acc_dtype)
        self.fill = a["in_zp"] - centre_of(in_dtype)           # padding holds real 0
        self.rq = _requant(rec, _folded_bias(rec, w2, in_dtype), (-1,), self.gemm.acc_bound)

    def __call__(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        x = inputs[0]
        n, c, h, wd = x.shape
        ho, wo = self.taps.out_shape(h, wd)
        out = np.empty((n, ho, wo, c), self.rq.out_dtype)
        work = np.empty(min(max(1, TILE // max(wo * c, 1)), ho) * wo * c)
        for b in range(n):
            for r0, acc in self.taps.tiles(x[b], self.fill, TILE, self.gemm.centre):
                nr = acc.shape[0]
                self.rq.apply(acc, out[b, r0:r0 + nr], work[:acc.size].reshape(acc.shape))
        return [np.ascontiguousarray(out.transpose(0, 3, 1, 2))]


class _General:
    """Any other 2-D Conv: im2col of a tile of output rows, one GEMM per group."""

    def __init__(self, rec: OpRecord, in_dtype: np.dtype) -> None:
        a, w = rec.attrs, rec.tensors["weights"]
        self.group, self.kernel = a["group"], list(w.shape[2:])
        self.strides, self.dil, self.pads = a["strides"], a["dilations"], a["pads"]
        self.in_zp = a["in_zp"]
        m = w.shape[0]
        w2 = w.reshape(m, -1)
        mg = m // self.group
        self.gemms = [GemmPlan(w2[g * mg:(g + 1) * mg], in_dtype) for g in range(self.group)]
        bound = max(g.acc_bound for g in self.gemms)
        self.rq = _requant(rec, _folded_bias(rec, w2, in_dtype), (-1, 1), bound)
        self.m, self.mg = m, mg

    def __call__(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        x = inputs[0]
        p = self.pads
        if any(p):
            x = np.pad(x, [(0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])],
                       constant_values=self.in_zp)
        win = windows(x, self.kernel, self.strides, self.dil)       # (N, C, Ho, Wo, kh, kw)
        n, c, ho, wo = win.shape[:4]
        cg = c // self.group
        out = np.empty((n, self.m, ho, wo), self.rq.out_dtype)
        rows = max(1, TILE // max(wo * self.m, 1), -(-MIN_COLS // max(wo, 1)))
        for b in range(n):
            for r0 in range(0, ho, rows):
                nr = min(rows, ho - r0)
                acc = np.concatenate([self._group(win, b, g, cg, r0, nr)
                                      for g in range(self.group)]) if self.group > 1 \
                    else self._group(win, b, 0, cg, r0, nr)
                self.rq.apply(acc, out[b, :, r0:r0 + nr].reshape(self.m, -1))  # a view
        return [out]

    def _group(self, win: np.ndarray, b: int, g: int, cg: int, r0: int, nr: int
               ) -> np.ndarray:
        part = win[b, g * cg:(g + 1) * cg, r0:r0 + nr]               # (Cg, nr, Wo, kh, kw)
        cols = self.gemms[g].operand(part.transpose(0, 3, 4, 1, 2).reshape(
            cg * part.shape[3] * part.shape[4], -1))
        return self.gemms[g].matmul(cols)
