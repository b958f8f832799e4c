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
from npukit.program import OpRecord

#: accumulators per tile (float32 acc + float64 scratch ≈ 384 KiB: in L2)
TILE = 32768

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
        step = max(64, TILE // max(m, 1))
        work = np.empty(m * min(step, px))
        for b in range(n):
            for j in range(0, px, step):
                acc = self.gemm.matmul(xf[b, :, j:j + step])
                self.rq.apply(acc, out[b, :, j:j + step], work[:acc.size].reshape(acc.shape))
        return [out.reshape((n, m) + x.shape[2:])]


class _Depthwise:
    """Depthwise 2-D Conv: channels-last taps over row tiles (no im2col copy).

    Each tap is one multiply and one add over a whole (rows, Wo·C) tile: the
    tap's weights are laid out once along Wo·C, and a W stride is removed by
    splitting the padded input into stride phases, so every tap reads a
    contiguous run of each row.
    """

    def __init__(self, rec: OpRecord, in_dtype: np.dtype) -> None:
        a, w = rec.attrs, rec.tensors["weights"]
        w2 = w.reshape(w.shape[0], -1)
        self.gemm = GemmPlan(w2, in_dtype)                     # only its bounds / dtype
        self.dtype = self.gemm.acc_dtype
        self.taps = np.moveaxis(w[:, 0], 0, -1).astype(self.dtype)       # (kh, kw, C)
        self.fill = a["in_zp"] - centre_of(in_dtype)           # padding holds real 0
        self.strides, self.dil, self.pads = a["strides"], a["dilations"], a["pads"]
        self.rq = _requant(rec, _folded_bias(rec, w2, in_dtype), (-1,), self.gemm.acc_bound)
        self._rows: dict[int, np.ndarray] = {}

    def _tap_rows(self, wo: int) -> np.ndarray:
        """Tap weights repeated along Wo: (kh, kw, Wo·C), once per output width."""
        got = self._rows.get(wo)
        if got is None:
            kh, kw, c = self.taps.shape
            got = np.ascontiguousarray(np.broadcast_to(
                self.taps[:, :, None, :], (kh, kw, wo, c))).reshape(kh, kw, wo * c)
            self._rows[wo] = got
        return got

    def __call__(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        x = inputs[0]
        n, c, h, wd = x.shape
        (sh, sw), (dh, dw), p = self.strides, self.dil, self.pads
        kh, kw = self.taps.shape[:2]
        hp, wp = h + p[0] + p[2], wd + p[1] + p[3]
        ho, wo = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
        out = np.empty((n, ho, wo, c), self.rq.out_dtype)
        rows = max(1, TILE // max(wo * c, 1))
        acc = np.empty((min(rows, ho), wo * c), self.dtype)
        tmp, work = np.empty_like(acc), np.empty(acc.shape)
        taps = self._tap_rows(wo)
        for b in range(n):
            phases = self._phases(x[b], hp, wp)
            for r0 in range(0, ho, rows):
                nr = min(rows, ho - r0)
                self._accumulate(phases, taps, r0, nr, wo, acc[:nr], tmp[:nr])
                self.rq.apply(acc[:nr].reshape(nr, wo, c), out[b, r0:r0 + nr],
                              work[:nr].reshape(nr, wo, c))
        return [np.ascontiguousarray(out.transpose(0, 3, 1, 2))]

    def _phases(self, xb: np.ndarray, hp: int, wp: int) -> list[np.ndarray]:
        """The padded channels-last input, split into its W-stride phases."""
        c, h, wd = xb.shape
        p, sw = self.pads, self.strides[1]
        xp = np.full((hp, wp, c), self.fill, self.dtype)
        inner = xp[p[0]:p[0] + h, p[1]:p[1] + wd]
        inner[...] = xb.transpose(1, 2, 0)
        if self.gemm.centre:
            inner -= self.gemm.centre
        return [xp] if sw == 1 else [np.ascontiguousarray(xp[:, k::sw]) for k in range(sw)]

    def _accumulate(self, phases: list[np.ndarray], taps: np.ndarray, r0: int, nr: int,
                    wo: int, acc: np.ndarray, tmp: np.ndarray) -> None:
        (sh, sw), (dh, dw) = self.strides, self.dil
        for i in range(taps.shape[0]):
            y0 = r0 * sh + i * dh
            for j in range(taps.shape[1]):
                ph, x0 = (j * dw) % sw, (j * dw) // sw
                src = phases[ph][y0:y0 + sh * (nr - 1) + 1:sh, x0:x0 + wo]
                src = src.reshape(nr, -1)                    # (rows, Wo·C), a view
                if i == 0 and j == 0:
                    np.multiply(src, taps[i, j], out=acc)
                else:
                    np.multiply(src, taps[i, j], out=tmp)
                    acc += tmp


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
        rows = max(1, TILE // max(wo * self.m, 1))
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
