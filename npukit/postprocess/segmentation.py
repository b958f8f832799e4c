"""Semantic segmentation heads: per-pixel arg-max, resizing to the image, mean IoU.

Resizing logits (bilinear, half-pixel centres as ONNX ``Resize`` with
``coordinate_transformation_mode=half_pixel``) before the arg-max gives smoother
masks than resizing the arg-max; ``resize_mask`` (nearest) resizes a label map.
"""

from __future__ import annotations

import numpy as np

from npukit.errors import InputError


def _chw(logits: np.ndarray) -> np.ndarray:
    x = np.asarray(logits)
    if x.ndim == 4 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 3:
        raise InputError(f"segmentation logits must be [C, H, W] or [1, C, H, W], "
                         f"got shape {np.shape(logits)}")
    return x


def argmax(logits: np.ndarray) -> np.ndarray:
    """Class per pixel of logits [C, H, W] (or [1, C, H, W]) → int64 [H, W]; ties go to
    the lower class index."""
    return _chw(logits).argmax(0).astype(np.int64)


def _source_coords(out: int, inp: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Half-pixel source coordinates: (lower index, upper index, upper weight)."""
    src = (np.arange(out, dtype=np.float64) + 0.5) * (inp / out) - 0.5
    src = np.clip(src, 0, inp - 1)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, inp - 1)
    return lo, hi, src - lo


def resize_bilinear(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of [C, H, W] to [C, *size] (size = (height, width))."""
    c = _chw(x).astype(np.float64)
    h, w = int(size[0]), int(size[1])
    if h < 1 or w < 1:
        raise InputError(f"resize target must be positive, got {size}")
    y0, y1, wy = _source_coords(h, c.shape[1])
    x0, x1, wx = _source_coords(w, c.shape[2])
    rows = c[:, y0] * (1 - wy)[None, :, None] + c[:, y1] * wy[None, :, None]
    return rows[:, :, x0] * (1 - wx) + rows[:, :, x1] * wx


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of a label map [H, W] to ``size`` = (height, width):
    output pixel centre → the input pixel it falls in."""
    m = np.asarray(mask)
    if m.ndim != 2:
        raise InputError(f"mask must be [H, W], got shape {m.shape}")
    h, w = int(size[0]), int(size[1])
    ys = np.minimum(((np.arange(h) + 0.5) * m.shape[0] / h).astype(np.int64), m.shape[0] - 1)
    xs = np.minimum(((np.arange(w) + 0.5) * m.shape[1] / w).astype(np.int64), m.shape[1] - 1)
    return m[ys[:, None], xs[None, :]]


def segment(logits: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
    """Label map of the image: logits resized (bilinear) to ``size`` = (height, width),
    then the arg-max; without ``size`` the logits' own resolution."""
    x = _chw(logits)
    return argmax(x if size is None else resize_bilinear(x, size))


def confusion(pred: np.ndarray, true: np.ndarray, num_classes: int) -> np.ndarray:
    """[num_classes, num_classes] pixel counts, rows = truth, columns = prediction."""
    p, t = np.asarray(pred).reshape(-1), np.asarray(true).reshape(-1)
    if p.shape != t.shape:
        raise InputError(f"prediction {np.shape(pred)} and truth {np.shape(true)} differ")
    return np.bincount(t * num_classes + p, minlength=num_classes ** 2).reshape(
        num_classes, num_classes)


def mean_iou(pred: np.ndarray, true: np.ndarray, num_classes: int) -> tuple[float, np.ndarray]:
    """(mean IoU over classes present in truth or prediction, per-class IoU with NaN
    for classes present in neither)."""
    cm = confusion(pred, true, num_classes).astype(np.float64)
    inter = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - inter
    per = np.full(num_classes, np.nan)
    per[union > 0] = inter[union > 0] / union[union > 0]
    return float(np.nanmean(per)) if np.any(union > 0) else float("nan"), per
