"""Non-maximum suppression: greedy, class-aware or class-agnostic.

Boxes are corner form ``(x0, y0, x1, y1)`` with x1 ≥ x0, y1 ≥ y0 (see
``yolo.xywh_to_xyxy``).  Order is deterministic: by score, highest first, ties by
the lower input index — so a board and a PC keep the same boxes.
"""

from __future__ import annotations

import numpy as np

from npukit.errors import InputError


def box_area(boxes: np.ndarray) -> np.ndarray:
    b = np.asarray(boxes, np.float64)
    return np.clip(b[..., 2] - b[..., 0], 0, None) * np.clip(b[..., 3] - b[..., 1], 0, None)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of ``a`` [N, 4] and ``b`` [M, 4] → [N, M]; 0 where the union is 0."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(w, 0, None) * np.clip(h, 0, None)
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _check(boxes: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    b = np.asarray(boxes, np.float64)
    s = np.asarray(scores, np.float64)
    if b.ndim != 2 or b.shape[1] != 4:
        raise InputError(f"NMS boxes must be [N, 4] (x0, y0, x1, y1), got shape {b.shape}")
    if s.shape != (b.shape[0],):
        raise InputError(f"NMS scores must be [N] matching {b.shape[0]} boxes, got {s.shape}")
    return b, s


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float = 0.5,
        score_threshold: float = -np.inf, max_detections: int | None = None) -> np.ndarray:
    """Class-agnostic greedy NMS: indices of the kept boxes, highest score first.

    Boxes scoring below ``score_threshold`` are dropped first; a box is suppressed
    when its IoU with a kept box is greater than ``iou_threshold``."""
    b, s = _check(boxes, scores)
    cand = np.nonzero(s >= score_threshold)[0]
    cand = cand[np.argsort(-s[cand], kind="stable")]
    limit = len(cand) if max_detections is None else int(max_detections)
    keep: list[int] = []
    alive = np.ones(len(cand), bool)
    for pos in range(len(cand)):
        if len(keep) >= limit:
            break
        if not alive[pos]:
            continue
        i = cand[pos]
        keep.append(int(i))
        rest = pos + 1 + np.nonzero(alive[pos + 1:])[0]
        if len(rest):
            overlap = iou(b[i:i + 1], b[cand[rest]])[0]
            alive[rest[overlap > iou_threshold]] = False
    return np.array(keep, np.int64)


def batched_nms(boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray,
                iou_threshold: float = 0.5, score_threshold: float = -np.inf,
                max_detections: int | None = None) -> np.ndarray:
    """Class-aware NMS: boxes of different classes never suppress each other.

    Runs NMS per class, then keeps the best ``max_detections`` overall (score
    order, ties by index)."""
    b, s = _check(boxes, scores)
    c = np.asarray(classes).reshape(-1)
    if c.shape != s.shape:
        raise InputError(f"NMS classes must be [N] matching {len(s)} boxes, got {c.shape}")
    kept = [np.nonzero(c == k)[0][nms(b[c == k], s[c == k], iou_threshold, score_threshold)]
            for k in np.unique(c)]
    idx = np.concatenate(kept) if kept else np.zeros(0, np.int64)
    idx = np.sort(idx)
    idx = idx[np.argsort(-s[idx], kind="stable")]
    return idx[:max_detections].astype(np.int64)
