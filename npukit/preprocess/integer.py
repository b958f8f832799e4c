"""The integer AIPP path the NPU runs (docs/aipp.md §5), vectorised NumPy.

Geometry is a pair of per-axis index maps (output coordinate -> source
pixel, plus a "lies in const padding" mask), so crop, pad and resize gather
only the source pixels that are used.  Then:

* CSC: ``y = clamp(((M @ (x - input_bias) + 128) >> 8) + output_bias, 0, 255)``
  in int32 (one rounding, half up);
* bilinear resize: half-pixel centres clamped at the edges (OpenCV
  INTER_LINEAR / ONNX ``half_pixel``), Q11 weights ``w1 = round(frac * 2048)``,
  ``w0 = 2048 - w1`` computed from exact integer coordinates, the 2-D sum kept
  exact in Q22;
* normalisation and the model input's quantization folded into one
  ``requantize`` of ``(acc - round((mean + min) * 2**22)) * var_reci / scale``.

``integer_ref.py`` is the per-pixel definition; tests hold the two equal to the bit.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from npukit.numerics import RoundingMode, quantize_multiplier, requantize
from npukit.preprocess import formats, rules
from npukit.preprocess.config import AippConfig, Csc

WBITS = 11  # bilinear weight fraction bits (OpenCV's INTER_RESIZE_COEF_BITS)
QBITS = 2 * WBITS  # fraction bits of the 2-D accumulator


def pad_map(n: int, before: int, after: int, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Padded coordinate -> coordinate in the ``n``-long unpadded axis, and validity.

    Invalid entries (const padding) map to 0 and are filled with the pad value.
    ``reflection`` mirrors without repeating the edge, ``symmetric`` repeats it.
    """
    i = np.arange(-before, n + after)
    if mode == "duplicate":
        return np.clip(i, 0, n - 1), np.ones(i.shape, bool)
    if mode == "reflection":
        j = np.where(i < 0, -i, np.where(i >= n, 2 * (n - 1) - i, i))
        return j, np.ones(i.shape, bool)
    if mode == "symmetric":
        j = np.where(i < 0, -i - 1, np.where(i >= n, 2 * n - 1 - i, i))
        return j, np.ones(i.shape, bool)
    ok = (i >= 0) & (i < n)
    return np.where(ok, i, 0), ok


def nearest_index(n_in: int, n_out: int) -> np.ndarray:
    """``floor(d * n_in / n_out)``: OpenCV INTER_NEAREST's source index, exactly."""
    return (np.arange(n_out, dtype=np.int64) * n_in) // n_out


def bilinear_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(i0, i1, w1)``: source taps and the Q11 weight of ``i1``.

    The source coordinate ``(2d + 1) * n_in / (2 n_out) - 1/2`` is an exact
    fraction ``num / den``; below 0 it clamps to 0, past the last pixel both
    taps are the last pixel.  ``w1 = round_half_up(frac * 2**11)``.
    """
    d = np.arange(n_out, dtype=np.int64)
    num, den = (2 * d + 1) * n_in - n_out, 2 * n_out
    num = np.maximum(num, 0)
    i0, rem = num // den, num % den
    w1 = (rem * (2 << WBITS) + den) // (2 * den)  # round half up of rem * 2**11 / den
    last = i0 >= n_in - 1
    i0 = np.minimum(i0, n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, np.where(last, 0, w1)


def axis_maps(cfg: AippConfig) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """``((rows, row_ok), (cols, col_ok))`` from padded coordinates to frame pixels."""
    (ch, cw), c, p = rules.size_after_crop(cfg), cfg.crop, cfg.padding
    y0, x0 = (c.y, c.x) if c else (0, 0)
    mode = p.mode if p else "const_zero"
    rows, rok = pad_map(ch, p.top if p else 0, p.bottom if p else 0, mode)
    cols, cok = pad_map(cw, p.left if p else 0, p.right if p else 0, mode)
    return (rows + y0, rok), (cols + x0, cok)


def _fetch(frame: np.ndarray, cfg: AippConfig, r: tuple[np.ndarray, np.ndarray],
           c: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Decoded pixels at padded coordinates, const padding filled in."""
    pix = formats.gather(frame, cfg, r[0], c[0])
    ok = r[1][:, None] & c[1][None, :]
    if not ok.all():
        p = cfg.padding
        value = np.zeros(3, np.uint8) if p.mode == "const_zero" else np.array(p.value, np.uint8)
        pix = np.where(ok[..., None], pix, value[: pix.shape[-1]])
    return pix


def csc_int(pix: np.ndarray, csc: Csc) -> np.ndarray:
    """Fixed-point colour conversion of uint8 ``(..., 3)`` pixels, exact in int32.

    ``acc_k = sum_i M[k][i] * (x_i - input_bias_i)`` is a sum of three table
    look-ups (one 256-entry int32 table per matrix entry, the products are
    exact), then ``(acc + 128) >> 8`` (half up), plus the output bias, clamped.
    """
    codes = np.arange(256, dtype=np.int32)
    planes = [pix[..., i] for i in range(3)]
    out = np.empty(pix.shape, np.uint8)
    for k, row in enumerate(csc.matrix):  # three output channels, not pixels
        t = [(row[i] * (codes - csc.input_bias[i])).astype(np.int32) for i in range(3)]
        acc = t[0][planes[0]] + t[1][planes[1]] + t[2][planes[2]]
        acc += 128 + (csc.output_bias[k] << 8)
        acc >>= 8
        out[..., k] = np.clip(acc, 0, 255)
    return out


@lru_cache(maxsize=16)
def _chroma_tables(csc: Csc) -> tuple[np.ndarray, np.ndarray]:
    """Per output channel: Y table (256, with rounding and output bias folded in) and
    UV table (65536, indexed by ``u + 256 v``); int32, exact."""
    codes = np.arange(256, dtype=np.int64)
    u, v = np.tile(codes, 256), np.repeat(codes, 256)
    ty = np.stack([row[0] * (codes - csc.input_bias[0]) + 128 + (bias << 8)
                   for row, bias in zip(csc.matrix, csc.output_bias)])
    tuv = np.stack([row[1] * (u - csc.input_bias[1]) + row[2] * (v - csc.input_bias[2])
                    for row in csc.matrix])
    return ty.astype(np.int32), tuv.astype(np.int32)


def _nv12_csc(frame: np.ndarray, cfg: AippConfig, r: tuple[np.ndarray, np.ndarray],
              c: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``channel_stage(_fetch(...))`` for YUV420SP with CSC: the interleaved chroma
    pair is read as one 16-bit index (``u + 256 v``), two look-ups per channel."""
    h = cfg.src_h
    y = frame[:h].take(r[0], axis=0).take(c[0], axis=1)
    pairs = np.ascontiguousarray(frame[h:]).view(">u2" if cfg.rbuv_swap else "<u2")
    uv = pairs.take(r[0] // 2, axis=0).take(c[0] // 2, axis=1)
    ok = r[1][:, None] & c[1][None, :]
    if not ok.all():
        p = cfg.padding
        val = (0, 0, 0) if p.mode == "const_zero" else p.value
        y, uv = np.where(ok, y, val[0]), np.where(ok, uv, val[1] + 256 * val[2])
    ty, tuv = _chroma_tables(cfg.csc)
    out = np.empty((*y.shape, 3), np.uint8)
    for k in range(3):  # three output channels, not pixels
        acc = ty[k][y]
        acc += tuv[k][uv]
        acc >>= 8
        out[..., k] = np.clip(acc, 0, 255)
    return out[..., :1] if cfg.model_format == "GRAY" else out


def _model_fetch(frame: np.ndarray, cfg: AippConfig, r: tuple[np.ndarray, np.ndarray],
                 c: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    if cfg.input_format == "YUV420SP_U8" and cfg.csc is not None:
        return _nv12_csc(frame, cfg, r, c)
    return channel_stage(_fetch(frame, cfg, r, c), cfg)


def channel_stage(pix: np.ndarray, cfg: AippConfig) -> np.ndarray:
    """CSC (if on) then the swap to ``model_format``; uint8 ``(..., C_model)``."""
    if cfg.csc is not None:
        out = csc_int(pix, cfg.csc)
    elif cfg.model_format == "BGR":
        out = pix[..., ::-1]
    else:
        out = pix
    return out[..., :1] if cfg.model_format == "GRAY" else out


def model_pixels(frame: np.ndarray, cfg: AippConfig) -> np.ndarray:
    """Model-format uint8 pixels ``(H, W, C)`` after crop, pad and nearest resize."""
    (rows, rok), (cols, cok) = axis_maps(cfg)
    if cfg.resize is not None:
        oh, ow = rules.output_hw(cfg)
        ri, ci = nearest_index(rows.size, oh), nearest_index(cols.size, ow)
        rows, rok, cols, cok = rows[ri], rok[ri], cols[ci], cok[ci]
    return _model_fetch(frame, cfg, (rows, rok), (cols, cok))


def pixels_q22(frame: np.ndarray, cfg: AippConfig) -> np.ndarray:
    """The model-format pixels after geometry, as exact int64 Q22 values ``(H, W, C)``."""
    r = cfg.resize
    if r is None or r.mode == "nearest":
        return model_pixels(frame, cfg).astype(np.int64) << QBITS
    (rows, rok), (cols, cok) = axis_maps(cfg)
    oh, ow = rules.output_hw(cfg)
    y0, y1, wy = bilinear_taps(rows.size, oh)
    x0, x1, wx = bilinear_taps(cols.size, ow)
    ry, rx = np.concatenate([y0, y1]), np.concatenate([x0, x1])
    pix = _model_fetch(frame, cfg, (rows[ry], rok[ry]), (cols[rx], cok[rx]))
    # int32 is exact: |Q11 rows| <= 255 * 2**11 and the Q22 sum <= 255 * 2**22 < 2**31
    p = pix.astype(np.int32)
    wx1 = wx.astype(np.int32)[None, :, None]
    top = (p[:oh, :ow] << WBITS) + (p[:oh, ow:] - p[:oh, :ow]) * wx1  # Q11, exact
    bot = (p[oh:, :ow] << WBITS) + (p[oh:, ow:] - p[oh:, :ow]) * wx1
    bot -= top
    bot *= wy.astype(np.int32)[:, None, None]
    top <<= WBITS
    top += bot
    return top.astype(np.int64)


def fold_params(cfg: AippConfig, scale: float, channels: int) -> tuple[np.ndarray, ...]:
    """Per channel ``(offset_q22, sign, multiplier, shift)`` of the folded normalisation.

    ``code = zp + round((acc - offset) * |var_reci / scale| / 2**22)`` with the
    sign of ``var_reci`` applied to ``acc - offset`` first (multipliers are >= 0).
    """
    n = cfg.normalize
    c = np.array([n.mean[i] + n.min[i] for i in range(channels)], np.float64)
    offset = np.round(c * 2.0**QBITS).astype(np.int64)
    ratio = np.array(n.var_reci[:channels], np.float64) / np.float64(scale)
    mult, shift = quantize_multiplier(np.abs(ratio) / 2.0**QBITS)
    return offset, np.where(ratio < 0, -1, 1).astype(np.int64), mult, shift


def run_int(frame: np.ndarray, cfg: AippConfig, scale: float, zero_point: int,
            dtype: str, mode: RoundingMode = RoundingMode.HALF_TO_EVEN) -> np.ndarray:
    """One raw frame -> the model input's integer codes ``(C, H, W)`` in ``dtype``.

    Without bilinear resize every code is a function of one uint8 model pixel,
    so the folded requantization is evaluated once per channel and pixel value
    (a 256-entry table) and looked up: the same numbers, far fewer operations.
    """
    frame = formats.check_frame(frame, cfg)
    if cfg.resize is not None and cfg.resize.mode == "bilinear":
        acc = pixels_q22(frame, cfg)
        return _requantize(acc, cfg, scale, zero_point, dtype, mode, axis=2).transpose(2, 0, 1)
    pix = model_pixels(frame, cfg)
    codes = np.arange(256, dtype=np.int64)[:, None].repeat(pix.shape[-1], 1) << QBITS
    table = _requantize(codes, cfg, scale, zero_point, dtype, mode, axis=1)
    return np.stack([table[:, c][pix[..., c]] for c in range(pix.shape[-1])])


def _requantize(acc: np.ndarray, cfg: AippConfig, scale: float, zero_point: int, dtype: str,
                mode: RoundingMode, axis: int) -> np.ndarray:
    offset, sign, mult, shift = fold_params(cfg, scale, acc.shape[axis])
    shape = [1] * acc.ndim
    shape[axis] = -1
    centred = (acc - offset.reshape(shape)) * sign.reshape(shape)
    return requantize(centred, mult, shift, zero_point, dtype, mode, axis=axis)


def run_pixels(frame: np.ndarray, cfg: AippConfig) -> np.ndarray:
    """Model-format uint8 pixels ``(C, H, W)`` before normalisation (nearest / no resize)."""
    return np.moveaxis(model_pixels(formats.check_frame(frame, cfg), cfg), -1, 0)
