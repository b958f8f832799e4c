"""YOLO-style box decoding for one image, one output level at a time.

* anchor-based (YOLOv5-like): each cell predicts, per anchor, ``(tx, ty, tw, th,
  objectness, class …)``; ``xy = (2σ(t) − 0.5 + cell) · stride`` and
  ``wh = (2σ(t))² · anchor``.
* anchor-free (YOLOv8 / FCOS-like): each cell predicts distances ``(l, t, r, b)``
  from its centre ``(cell + 0.5) · stride`` to the box edges, in strides; with
  DFL each distance is a softmax over ``reg_max`` bins and its expectation is used.

Outputs are corner boxes ``(x0, y0, x1, y1)`` in input pixels, flattened cell by
cell (anchor-major for anchor-based), and per-box class scores; ``detect`` applies a
score threshold and NMS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from npukit.errors import InputError
from npukit.postprocess.nms import batched_nms, nms


def sigmoid(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return np.exp(-np.logaddexp(0.0, -x))


def xywh_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    b = np.asarray(boxes, np.float64)
    half = b[..., 2:4] / 2
    return np.concatenate([b[..., :2] - half, b[..., :2] + half], axis=-1)


def _chw(pred: np.ndarray, what: str) -> np.ndarray:
    p = np.asarray(pred, np.float64)
    if p.ndim == 4 and p.shape[0] == 1:
        p = p[0]
    if p.ndim != 3:
        raise InputError(f"{what} must be [C, H, W] or [1, C, H, W] for one image, "
                         f"got shape {np.shape(pred)}")
    return p


def _centres(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    gy, gx = np.mgrid[0:h, 0:w]
    return gx.reshape(-1).astype(np.float64), gy.reshape(-1).astype(np.float64)


def decode_anchor_based(pred: np.ndarray, anchors: Sequence[Sequence[float]], stride: float,
                        num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """YOLOv5 head output ``pred`` [A·(5 + C), H, W] (raw logits) → boxes [A·H·W, 4]
    and scores [A·H·W, C] = objectness · class probability."""
    p = _chw(pred, "anchor-based YOLO output")
    a = np.asarray(anchors, np.float64).reshape(-1, 2)
    per = 5 + num_classes
    if p.shape[0] != len(a) * per:
        raise InputError(f"anchor-based YOLO output has {p.shape[0]} channels; "
                         f"{len(a)} anchors × (5 + {num_classes} classes) = {len(a) * per}")
    h, w = p.shape[1:]
    t = sigmoid(p.reshape(len(a), per, h * w))                     # [A, 5 + C, HW]
    gx, gy = _centres(h, w)
    x = (t[:, 0] * 2 - 0.5 + gx) * stride
    y = (t[:, 1] * 2 - 0.5 + gy) * stride
    bw = (t[:, 2] * 2) ** 2 * a[:, :1]
    bh = (t[:, 3] * 2) ** 2 * a[:, 1:]
    boxes = xywh_to_xyxy(np.stack([x, y, bw, bh], -1).reshape(-1, 4))
    scores = (t[:, 5:] * t[:, 4:5]).transpose(0, 2, 1).reshape(-1, num_classes)
    return boxes, scores


def dfl(distribution: np.ndarray, reg_max: int) -> np.ndarray:
    """Distribution focal loss decoding: [4·reg_max, N] logits → [4, N] expected
    distances Σ softmax(bins) · bin index."""
    d = np.asarray(distribution, np.float64).reshape(4, reg_max, -1)
    e = np.exp(d - d.max(axis=1, keepdims=True))
    prob = e / e.sum(axis=1, keepdims=True)
    return np.einsum("sbn,b->sn", prob, np.arange(reg_max, dtype=np.float64))


def decode_anchor_free(box: np.ndarray, cls: np.ndarray, stride: float, *,
                       reg_max: int = 1, apply_sigmoid: bool = True
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Anchor-free head outputs → boxes [H·W, 4] and scores [H·W, C].

    ``box`` is [4·reg_max, H, W]: distances (l, t, r, b) in strides when
    ``reg_max`` is 1, DFL bin logits otherwise.  ``cls`` is [C, H, W] logits
    (probabilities when ``apply_sigmoid`` is False)."""
    b, c = _chw(box, "anchor-free box output"), _chw(cls, "anchor-free class output")
    if b.shape[0] != 4 * reg_max:
        raise InputError(f"anchor-free box output has {b.shape[0]} channels, expected "
                         f"4 × reg_max {reg_max} = {4 * reg_max}")
    if b.shape[1:] != c.shape[1:]:
        raise InputError(f"box grid {b.shape[1:]} and class grid {c.shape[1:]} differ")
    h, w = b.shape[1:]
    flat = b.reshape(b.shape[0], h * w)
    ltrb = flat if reg_max == 1 else dfl(flat, reg_max)
    gx, gy = _centres(h, w)
    cx, cy = (gx + 0.5) * stride, (gy + 0.5) * stride
    boxes = np.stack([cx - ltrb[0] * stride, cy - ltrb[1] * stride,
                      cx + ltrb[2] * stride, cy + ltrb[3] * stride], -1)
    scores = c.reshape(c.shape[0], h * w).T
    return boxes, sigmoid(scores) if apply_sigmoid else scores


@dataclass(frozen=True)
class Detections:
    boxes: np.ndarray       # [K, 4] x0, y0, x1, y1
    scores: np.ndarray      # [K]
    classes: np.ndarray     # [K] int64

    def __len__(self) -> int:
        return len(self.scores)


def detect(boxes: np.ndarray, scores: np.ndarray, *, score_threshold: float = 0.25,
           iou_threshold: float = 0.45, max_detections: int = 100,
           class_agnostic: bool = False, clip_to: tuple[float, float] | None = None
           ) -> Detections:
    """Decoded boxes [N, 4] and class scores [N, C] → final detections: each box takes
    its best class, low scores are dropped, NMS runs (per class unless
    ``class_agnostic``); ``clip_to`` = (width, height) clips boxes to the image."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    s = np.asarray(scores, np.float64)
    if s.ndim != 2 or s.shape[0] != b.shape[0]:
        raise InputError(f"detect: scores must be [N, C] for {b.shape[0]} boxes, got {s.shape}")
    cls = s.argmax(1)
    best = s[np.arange(len(s)), cls]
    if clip_to is not None:
        b = np.clip(b, 0, [clip_to[0], clip_to[1], clip_to[0], clip_to[1]])
    if class_agnostic:
        keep = nms(b, best, iou_threshold, score_threshold, max_detections)
    else:
        keep = batched_nms(b, best, cls, iou_threshold, score_threshold, max_detections)
    return Detections(b[keep].astype(np.float32), best[keep].astype(np.float32),
                      cls[keep].astype(np.int64))
