"""Depthwise 2-D convolution as channels-last taps over row tiles (float and integer).

Shared by the float Conv kernel and the fast integer Conv: the padded input
is laid out channels-last (H, W, C) once and split into its W-stride phases,
and each tap's weights are repeated along the output width, so that every
tap is one multiply and one add over a whole (rows, Wo·C) tile, a contiguous
run of each row.  With integer codes in float32 the sums are exact while
``Σ|w|·max|x| ≤ 2^24`` (the caller picks the dtype; docs/numerics.md §7).
"""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

#: accumulators per row tile (about 128 KiB of float32: in L2)
TILE = 32768


class DepthwiseTaps:
    """Taps ``w`` (C, 1, kh, kw) with strides, dilations and pads, in ``dtype``."""

    def __init__(self, w: np.ndarray, strides: Sequence[int], dil: Sequence[int],
                 pads: Sequence[int], dtype: np.dtype) -> None:
        self.dtype = np.dtype(dtype)
        self.taps = np.moveaxis(w[:, 0], 0, -1).astype(self.dtype)        # (kh, kw, C)
        self.strides, self.dil, self.pads = list(strides), list(dil), list(pads)
        self._rows: dict[int, np.ndarray] = {}

    def out_shape(self, h: int, w: int) -> tuple[int, int]:
        (sh, sw), (dh, dw), p = self.strides, self.dil, self.pads
        kh, kw = self.taps.shape[:2]
        return ((h + p[0] + p[2] - dh * (kh - 1) - 1) // sh + 1,
                (w + p[1] + p[3] - dw * (kw - 1) - 1) // sw + 1)

    def tiles(self, xb: np.ndarray, fill: float, tile: int = TILE, centre: int = 0,
              out: np.ndarray | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """``(first row, accumulator (rows, Wo, C))`` per row tile of one image
        ``xb`` (C, H, W); the padding holds ``fill``, the input has ``centre``
        subtracted.  The accumulator is a reused buffer (consume it before the
        next), or the rows of ``out`` (Ho, Wo, C) when given."""
        c, h, w = xb.shape
        ho, wo = self.out_shape(h, w)
        phases = self._phases(xb, fill, centre)
        taps = self._tap_rows(wo)
        rows = max(1, tile // max(wo * c, 1))
        tmp = np.empty((min(rows, ho), wo * c), self.dtype)
        acc = tmp.copy() if out is None else out.reshape(ho, wo * c)
        for r0 in range(0, ho, rows):
            nr = min(rows, ho - r0)
            a = acc[:nr] if out is None else acc[r0:r0 + nr]
            self._accumulate(phases, taps, r0, nr, wo, a, tmp[:nr])
            yield r0, a.reshape(nr, wo, c)

    def _tap_rows(self, wo: int) -> np.ndarray:
        """Tap weights repeated along Wo: (kh, kw, Wo·C), once per output width."""
        got = self._rows.get(wo)
        if got is None:
            kh, kw, c = self.taps.shape
            got = np.ascontiguousarray(np.broadcast_to(
                self.taps[:, :, None, :], (kh, kw, wo, c))).reshape(kh, kw, wo * c)
            if len(self._rows) < 4:
                self._rows[wo] = got
        return got

    def _phases(self, xb: np.ndarray, fill: float, centre: int) -> list[np.ndarray]:
        """The padded channels-last input, split into its W-stride phases."""
        c, h, w = xb.shape
        p, sw = self.pads, self.strides[1]
        xp = np.full((h + p[0] + p[2], w + p[1] + p[3], c), fill, self.dtype)
        inner = xp[p[0]:p[0] + h, p[1]:p[1] + w]
        inner[...] = xb.transpose(1, 2, 0)
        if centre:
            inner -= centre
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
