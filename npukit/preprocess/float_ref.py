"""Float reference of AIPP: the stages in the hardware's order, written plainly.

Whole-image NumPy in float64, independent of the integer path's index maps:
decode -> crop (slice) -> pad (``np.pad``) -> [nearest resize] -> CSC ->
channel swap -> normalise -> [bilinear resize].  The CSC output is a uint8
on the hardware (the colour block writes bytes), so the reference rounds it
(half up) and clamps it too; everything after stays float.  Bilinear uses
exact float64 weights; the integer path's Q11 weights are its only departure
(docs/aipp.md §5).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from npukit.preprocess import formats, rules
from npukit.preprocess.config import AippConfig

_NP_PAD = {"duplicate": "edge", "reflection": "reflect", "symmetric": "symmetric"}


def _pad(img: np.ndarray, cfg: AippConfig) -> np.ndarray:
    p = cfg.padding
    if p is None:
        return img
    width = ((p.top, p.bottom), (p.left, p.right), (0, 0))
    if p.mode in _NP_PAD:
        return np.pad(img, width, mode=_NP_PAD[p.mode])
    out = np.pad(img, width, mode="constant")
    if p.mode == "const":
        mask = np.ones(img.shape[:2], bool)
        mask = np.pad(mask, width[:2], mode="constant")
        out[~mask] = np.array(p.value, img.dtype)[: img.shape[2]]
    return out


def resize_nearest(img: np.ndarray, oh: int, ow: int) -> np.ndarray:
    """``out[y, x] = img[floor(y * H / oh), floor(x * W / ow)]`` (OpenCV INTER_NEAREST)."""
    h, w = img.shape[:2]
    ry = np.floor(np.arange(oh) * h / oh).astype(np.intp)
    rx = np.floor(np.arange(ow) * w / ow).astype(np.intp)
    return img[ry][:, rx]


def _linear_axis(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = np.maximum((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0.0)
    i0 = np.minimum(np.floor(s).astype(np.intp), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, np.where(i0 >= n_in - 1, 0.0, s - i0)


def resize_bilinear(img: np.ndarray, oh: int, ow: int,
                    stage: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """Half-pixel-centre bilinear resize clamped at the edges, float64.

    ``stage`` (per-pixel CSC + normalisation) is applied first, but only to the
    rows and columns the resize reads — the same numbers as applying it to
    the whole image, without converting pixels that are never used.
    """
    y0, y1, fy = _linear_axis(img.shape[0], oh)
    x0, x1, fx = _linear_axis(img.shape[1], ow)
    rows, (y0, y1) = _used(y0, y1)
    cols, (x0, x1) = _used(x0, x1)
    img = img[rows][:, cols]
    img = stage(img) if stage is not None else img.astype(np.float64)
    fx = fx[None, :, None]
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bot = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    fy = fy[:, None, None]
    return top * (1 - fy) + bot * fy


def _used(i0: np.ndarray, i1: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    used = np.unique(np.concatenate([i0, i1]))
    return used, (np.searchsorted(used, i0), np.searchsorted(used, i1))


def csc_float(img: np.ndarray, cfg: AippConfig) -> np.ndarray:
    """``clamp(round_half_up(M / 256 @ (x - in_bias)) + out_bias)`` per pixel, float64."""
    c = cfg.csc
    x = img.astype(np.float64) - np.array(c.input_bias, np.float64)
    y = x @ (np.array(c.matrix, np.float64) / 256.0).T
    return np.clip(np.floor(y + 0.5) + np.array(c.output_bias), 0, 255)


def channels(img: np.ndarray, cfg: AippConfig) -> np.ndarray:
    """CSC and channel swap: decoded canonical channels -> model_format channels."""
    if cfg.csc is not None:
        out = csc_float(img, cfg)
    elif cfg.model_format == "BGR":
        out = img[..., ::-1].astype(np.float64)
    else:
        out = img.astype(np.float64)
    return out[..., :1] if cfg.model_format == "GRAY" else out


def normalize(img: np.ndarray, cfg: AippConfig) -> np.ndarray:
    n, c = cfg.normalize, img.shape[-1]
    mean = np.array(n.mean[:c], np.float64) + np.array(n.min[:c], np.float64)
    return (img - mean) * np.array(n.var_reci[:c], np.float64)


def run_float64(frame: np.ndarray, cfg: AippConfig) -> np.ndarray:
    """One raw frame -> the normalised model input ``(C, H, W)``, float64."""
    img = formats.decode(formats.check_frame(frame, cfg), cfg)
    if cfg.crop:
        c = cfg.crop
        img = img[c.y: c.y + c.h, c.x: c.x + c.w]
    img = _pad(img, cfg)
    r, (oh, ow) = cfg.resize, rules.output_hw(cfg)
    if r is not None and r.mode == "nearest":
        img = resize_nearest(img, oh, ow)
    if r is not None and r.mode == "bilinear":
        out = resize_bilinear(img, oh, ow, lambda x: normalize(channels(x, cfg), cfg))
    else:
        out = normalize(channels(img, cfg), cfg)
    return np.ascontiguousarray(np.moveaxis(out, -1, 0))
