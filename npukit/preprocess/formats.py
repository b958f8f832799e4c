"""Raw frame layouts of every ``input_format``: shape, channel order, decode, encode.

A decoded frame is uint8 ``(H, W, C)`` in the *canonical* order — (Y, U, V)
for YUV formats, (R, G, B) for RGB formats, one channel for YUV400 — whatever
the memory order (``rbuv_swap_switch`` swaps U/V or R/B, ``ax_swap_switch``
moves the X/A byte of XRGB/ARGB last).  ``gather`` decodes only the rows and
columns asked for, so the integer path never touches pixels it will not use.
NumPy only: the runtime uses this module on a board.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from npukit.preprocess.config import AippConfig, AippError
from npukit.preprocess.defaults import RGB2YUV, is_yuv

BITS_PER_PIXEL = {"YUV420SP_U8": 12, "YUV444_U8": 24, "RGB888_U8": 24, "BGR888_U8": 24,
                  "XRGB8888_U8": 32, "ARGB8888_U8": 32, "YUV400_U8": 8,
                  "RGB_PLANAR_U8": 8, "BGR_PLANAR_U8": 8}
_MEMORY = {"YUV444_U8": "YUV", "RGB888_U8": "RGB", "BGR888_U8": "BGR", "XRGB8888_U8": "XRGB",
           "ARGB8888_U8": "XRGB", "RGB_PLANAR_U8": "RGB", "BGR_PLANAR_U8": "BGR",
           "YUV420SP_U8": "YUV", "YUV400_U8": "Y"}


def frame_shape(fmt: str, h: int, w: int) -> tuple[int, ...]:
    """Shape of one raw frame (``uint8[H*3/2, W]`` for NV12/NV21)."""
    if fmt == "YUV420SP_U8":
        return (h * 3 // 2, w)
    if fmt == "YUV400_U8":
        return (h, w)
    if fmt.endswith("PLANAR_U8"):
        return (3, h, w)
    return (h, w, BITS_PER_PIXEL[fmt] // 8)


def frame_nbytes(fmt: str, h: int, w: int) -> int:
    return int(np.prod(frame_shape(fmt, h, w)))


def channels_in(fmt: str) -> int:
    """Channels of the decoded frame (1 for YUV400, else 3)."""
    return 1 if fmt == "YUV400_U8" else 3


def memory_order(fmt: str, rbuv_swap: bool, ax_swap: bool) -> str:
    """Channel letters in memory order, e.g. ``'XBGR'`` for XRGB with rbuv_swap."""
    order = _MEMORY[fmt]
    if rbuv_swap:
        order = order.translate(str.maketrans("RBUV", "BRVU"))
    if ax_swap and order[0] == "X":
        order = order[1:] + "X"
    return order


def _canonical_index(fmt: str, rbuv_swap: bool, ax_swap: bool) -> list[int]:
    order = memory_order(fmt, rbuv_swap, ax_swap)
    return [order.index(c) for c in ("YUV" if is_yuv(fmt) else "RGB") if c in order]


def gather(frame: np.ndarray, cfg: AippConfig, rows: np.ndarray,
           cols: np.ndarray) -> np.ndarray:
    """Decoded pixels ``[rows] x [cols]`` of one raw frame, uint8 ``(R, C, ch)``."""
    fmt, h = cfg.input_format, cfg.src_h
    r, c = np.asarray(rows, np.intp), np.asarray(cols, np.intp)
    if fmt == "YUV420SP_U8":
        y = frame[:h].take(r, axis=0).take(c, axis=1)
        uv = frame[h:].reshape(h // 2, -1, 2).take(r // 2, axis=0).take(c // 2, axis=1)
        u, v = (1, 0) if cfg.rbuv_swap else (0, 1)
        return np.stack([y, uv[..., u], uv[..., v]], axis=-1)
    if fmt == "YUV400_U8":
        return frame.take(r, axis=0).take(c, axis=1)[..., None]
    idx = _canonical_index(fmt, cfg.rbuv_swap, cfg.ax_swap)
    if fmt.endswith("PLANAR_U8"):
        return np.moveaxis(frame.take(idx, axis=0).take(r, axis=1).take(c, axis=2), 0, -1)
    return frame.take(r, axis=0).take(c, axis=1).take(idx, axis=2)


def decode(frame: np.ndarray, cfg: AippConfig) -> np.ndarray:
    """The whole frame decoded (chroma of YUV420SP repeated over each 2x2 block)."""
    return gather(frame, cfg, np.arange(cfg.src_h), np.arange(cfg.src_w))


def check_frame(frame: np.ndarray, cfg: AippConfig) -> np.ndarray:
    """``frame`` as uint8 of exactly the configured layout, or a clear AippError."""
    a = np.asarray(frame)
    want = frame_shape(cfg.input_format, cfg.src_h, cfg.src_w)
    if a.dtype != np.uint8:
        raise AippError(f"frame dtype is {a.dtype}, {cfg.input_format} frames are uint8",
                        rule="frame_size")
    if a.shape != want:
        if a.size == int(np.prod(want)):
            return a.reshape(want)
        raise AippError(f"frame of shape {a.shape} ({a.size} bytes) does not match "
                        f"src_image_size {cfg.src_w}x{cfg.src_h} in {cfg.input_format}: "
                        f"expected {want} ({int(np.prod(want))} bytes)", rule="frame_size",
                        hint="set src_image_size_w/h to the camera's frame size")
    return a


def _rgb_to_yuv(rgb: np.ndarray, standard: str) -> np.ndarray:
    m = np.array(RGB2YUV[standard], np.int32)
    bias = np.array((16 if standard.endswith("narrow") else 0, 128, 128), np.int32)
    acc = rgb.astype(np.int32) @ m.T
    return np.clip(((acc + 128) >> 8) + bias, 0, 255).astype(np.uint8)


def encode_rgb(rgb: np.ndarray, cfg: AippConfig) -> np.ndarray:
    """The raw frame a camera in ``cfg.input_format`` would deliver for an RGB image.

    RGB -> YUV uses the Q8 RGB2YUV matrix of ``cfg.color_standard`` (rounding
    half up); YUV420SP chroma is the rounded mean of each 2x2 block.  Used by
    ``npukit run`` for ordinary images and by calibration.
    """
    a = np.asarray(rgb)
    if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 3:
        raise AippError(f"expected an RGB uint8 image (H, W, 3), got {a.dtype} {a.shape}",
                        rule="frame_size")
    fmt, (h, w) = cfg.input_format, a.shape[:2]
    if is_yuv(fmt):
        yuv = _rgb_to_yuv(a, cfg.color_standard)
        if fmt == "YUV400_U8":
            return np.ascontiguousarray(yuv[..., 0])
        if fmt == "YUV420SP_U8":
            if h % 2 or w % 2:
                raise AippError(f"YUV420SP needs an even image size, got {w}x{h}",
                                rule="yuv420sp_even")
            c = yuv[..., 1:].astype(np.uint16).reshape(h // 2, 2, w // 2, 2, 2)
            uv = ((c.sum(axis=(1, 3)) + 2) >> 2).astype(np.uint8)
            if cfg.rbuv_swap:
                uv = uv[..., ::-1]
            return np.concatenate([yuv[..., 0], uv.reshape(h // 2, w)], axis=0)
        planes = {"Y": yuv[..., 0], "U": yuv[..., 1], "V": yuv[..., 2]}
    else:
        planes = {"R": a[..., 0], "G": a[..., 1], "B": a[..., 2],
                  "X": np.full((h, w), 255, np.uint8)}
    order = memory_order(fmt, cfg.rbuv_swap, cfg.ax_swap)
    axis = 0 if fmt.endswith("PLANAR_U8") else -1
    return np.stack([planes[ch] for ch in order], axis=axis)


def fit_rgb(rgb: np.ndarray, h: int, w: int) -> np.ndarray:
    """An RGB image resampled (nearest, pixel centres) to ``h x w``; for ``npukit run``."""
    a = np.asarray(rgb)
    r = ((2 * np.arange(h) + 1) * a.shape[0]) // (2 * h)
    c = ((2 * np.arange(w) + 1) * a.shape[1]) // (2 * w)
    return np.ascontiguousarray(a[np.ix_(r, c)])


def read_raw(path: str | Path, cfg: AippConfig) -> np.ndarray:
    """A raw ``.yuv`` / ``.nv12`` / ``.rgb`` file as one frame of ``cfg``'s layout."""
    p = Path(path)
    try:
        data = np.fromfile(p, dtype=np.uint8)
    except OSError as e:
        raise AippError(f"cannot read frame {p}: {e.strerror}", rule="file") from None
    return check_frame(data, cfg)
