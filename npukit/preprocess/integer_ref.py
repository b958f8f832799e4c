"""Slow per-pixel definition of the integer AIPP path (Python integers throughout).

Every output pixel is computed on its own, from the raw frame's byte layout
(docs/aipp.md §3) and the formulas of docs/aipp.md §5; ``integer.run_int``
is tested equal to it to the bit.  Keep the images small.
"""

from __future__ import annotations

import numpy as np

from npukit.numerics import RoundingMode, requantize_ref, round_div_ref, storage_dtype
from npukit.preprocess import formats, rules
from npukit.preprocess.config import AippConfig
from npukit.preprocess.integer import QBITS, WBITS, fold_params

_HALF_UP = RoundingMode.HALF_UP


def _src(i: int, n: int, before: int, mode: str) -> int | None:
    """Unpadded coordinate of padded coordinate ``i``, or None inside const padding."""
    j = i - before
    if 0 <= j < n:
        return j
    if mode == "duplicate":
        return min(max(j, 0), n - 1)
    if mode == "reflection":
        return -j if j < 0 else 2 * (n - 1) - j
    if mode == "symmetric":
        return -j - 1 if j < 0 else 2 * n - 1 - j
    return None


def _raw_pixel(frame: np.ndarray, cfg: AippConfig, y: int, x: int) -> list[int]:
    """Canonical channels of source pixel (y, x), read straight from the layout."""
    fmt, h = cfg.input_format, cfg.src_h
    if fmt == "YUV420SP_U8":
        flat = frame.reshape(-1)
        base = h * cfg.src_w + (y // 2) * cfg.src_w + (x // 2) * 2
        u, v = int(flat[base]), int(flat[base + 1])
        return [int(flat[y * cfg.src_w + x])] + ([v, u] if cfg.rbuv_swap else [u, v])
    if fmt == "YUV400_U8":
        return [int(frame[y, x])]
    order = formats.memory_order(fmt, cfg.rbuv_swap, cfg.ax_swap)
    want = "YUV" if fmt.startswith("YUV") else "RGB"
    if fmt.endswith("PLANAR_U8"):
        return [int(frame[order.index(c), y, x]) for c in want]
    return [int(frame[y, x, order.index(c)]) for c in want]


def _padded_pixel(frame: np.ndarray, cfg: AippConfig, y: int, x: int) -> list[int]:
    (ch, cw), c, p = rules.size_after_crop(cfg), cfg.crop, cfg.padding
    mode = p.mode if p else "const_zero"
    sy = _src(y, ch, p.top if p else 0, mode)
    sx = _src(x, cw, p.left if p else 0, mode)
    if sy is None or sx is None:
        value = [0, 0, 0] if p.mode == "const_zero" else list(p.value)
        return value[: formats.channels_in(cfg.input_format)]
    return _raw_pixel(frame, cfg, sy + (c.y if c else 0), sx + (c.x if c else 0))


def _model_pixel(frame: np.ndarray, cfg: AippConfig, y: int, x: int) -> list[int]:
    px = _padded_pixel(frame, cfg, y, x)
    if cfg.csc is not None:
        c = cfg.csc
        out = []
        for k in range(3):
            acc = sum(c.matrix[k][i] * (px[i] - c.input_bias[i]) for i in range(3))
            out.append(min(max(round_div_ref(acc, 256, _HALF_UP) + c.output_bias[k], 0), 255))
        px = out
    elif cfg.model_format == "BGR":
        px = px[::-1]
    return px[:1] if cfg.model_format == "GRAY" else px


def _taps(d: int, n_in: int, n_out: int) -> tuple[int, int, int]:
    num, den = max((2 * d + 1) * n_in - n_out, 0), 2 * n_out
    i0, rem = divmod(num, den)
    if i0 >= n_in - 1:
        return n_in - 1, n_in - 1, 0
    return i0, i0 + 1, round_div_ref(rem * 2**WBITS, den, _HALF_UP)


def pixel_q22(frame: np.ndarray, cfg: AippConfig, y: int, x: int) -> list[int]:
    """Model-format value of output pixel (y, x), exact, in Q22."""
    r, (ih, iw), (oh, ow) = cfg.resize, rules.size_after_pad(cfg), rules.output_hw(cfg)
    if r is None:
        return [v << QBITS for v in _model_pixel(frame, cfg, y, x)]
    if r.mode == "nearest":
        return [v << QBITS for v in _model_pixel(frame, cfg, y * ih // oh, x * iw // ow)]
    y0, y1, wy = _taps(y, ih, oh)
    x0, x1, wx = _taps(x, iw, ow)
    taps = [((y0, x0), (2**WBITS - wy) * (2**WBITS - wx)), ((y0, x1), (2**WBITS - wy) * wx),
            ((y1, x0), wy * (2**WBITS - wx)), ((y1, x1), wy * wx)]
    vals = [(_model_pixel(frame, cfg, ty, tx), w) for (ty, tx), w in taps]
    return [sum(v[k] * w for v, w in vals) for k in range(len(vals[0][0]))]


def run_int_ref(frame: np.ndarray, cfg: AippConfig, scale: float, zero_point: int,
                dtype: str, mode: RoundingMode = RoundingMode.HALF_TO_EVEN) -> np.ndarray:
    """Per-pixel ``integer.run_int``: codes ``(C, H, W)``."""
    frame = formats.check_frame(frame, cfg)
    oh, ow = rules.output_hw(cfg)
    c = rules.output_channels(cfg)
    offset, sign, mult, shift = fold_params(cfg, scale, c)
    acc = np.array([[pixel_q22(frame, cfg, y, x) for x in range(ow)] for y in range(oh)],
                   dtype=object)
    out = np.empty((c, oh, ow), dtype=storage_dtype(dtype))
    for k in range(c):
        centred = np.array([(int(a) - int(offset[k])) * int(sign[k])
                            for a in acc[..., k].ravel()], dtype=np.int64)
        out[k] = requantize_ref(centred, int(mult[k]), int(shift[k]), zero_point, dtype,
                                mode).reshape(oh, ow)
    return out
