"""Synthetic scenes of coloured squares, circles and triangles on noisy backgrounds.

NumPy + Pillow only, seeded: the same ``seed`` always draws the same scenes.  Used by
the detection and segmentation examples' training scripts (and to draw their test
images); each scene comes with boxes, labels and a per-pixel class mask.

    image, boxes, labels, mask = scene(np.random.default_rng(0))
"""

from __future__ import annotations

import numpy as np

CLASSES = ("square", "circle", "triangle")
SIZE = 64


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A smooth two-colour gradient with Gaussian noise and a few faint stripes."""
    c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:size, 0:size] / size
    t = (np.cos(angle) * xx + np.sin(angle) * yy)
    t = (t - t.min()) / max(float(np.ptp(t)), 1e-6)
    img = c0 * (1 - t[..., None]) + c1 * t[..., None]
    for _ in range(int(rng.integers(0, 3))):           # clutter: faint straight stripes
        a, off = rng.uniform(0, np.pi), rng.uniform(-0.5, 0.5)
        band = np.abs(np.cos(a) * (xx - 0.5) + np.sin(a) * (yy - 0.5) - off) < 0.02
        img[band] = img[band] * 0.7 + rng.uniform(0, 255, 3) * 0.3
    img += rng.normal(0, rng.uniform(4, 16), img.shape)
    return img


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _shape_mask(kind: int, box: np.ndarray, size: int) -> np.ndarray:
    from PIL import Image, ImageDraw
    canvas = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    x0, y0, x1, y1 = (float(v) for v in box)
    if kind == 0:
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=1)
    elif kind == 1:
        draw.ellipse((x0, y0, x1 - 1, y1 - 1), fill=1)
    else:
        draw.polygon(((x0 + x1) / 2, y0, x1 - 1, y1 - 1, x0, y1 - 1), fill=1)
    return np.asarray(canvas, bool)


def scene(rng: np.random.Generator, size: int = SIZE, max_objects: int = 4
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One scene: uint8 image [size, size, 3], boxes float32 [n, 4] (x0, y0, x1, y1 in
    pixels), labels int64 [n] (index into CLASSES), mask uint8 [size, size]
    (0 background, 1 + label where a shape is visible; later shapes paint over)."""
    img = _background(rng, size)
    mask = np.zeros((size, size), np.uint8)
    boxes: list[np.ndarray] = []
    labels: list[int] = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        for _attempt in range(20):
            side = rng.uniform(0.16, 0.45) * size
            x0, y0 = rng.uniform(0, size - side, 2)
            box = np.round(np.array([x0, y0, x0 + side, y0 + side]))
            if all(_iou(box, b) < 0.05 for b in boxes):
                break
        else:
            continue
        kind = int(rng.integers(len(CLASSES)))
        region = _shape_mask(kind, box, size)
        shade = rng.uniform(0, 255, 3)
        under = img[region].mean(0)
        if np.abs(shade - under).max() < 80:          # keep the shape visible
            shade = np.where(under > 127, under - 110, under + 110)
        img[region] = shade + rng.normal(0, 6, (int(region.sum()), 3))
        mask[region] = kind + 1
        boxes.append(box)
        labels.append(kind)
    image = np.clip(img, 0, 255).astype(np.uint8)
    return (image, np.array(boxes, np.float32).reshape(-1, 4),
            np.array(labels, np.int64), mask)


def scenes(n: int, seed: int, size: int = SIZE) -> list[tuple[np.ndarray, np.ndarray,
                                                                np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [scene(rng, size) for _ in range(n)]


def to_nchw(images: np.ndarray) -> np.ndarray:
    """uint8 [N, H, W, 3] → float32 [N, 3, H, W] in the examples' convention (x − 128) / 64."""
    return ((images.astype(np.float32) - 128.0) / 64.0).transpose(0, 3, 1, 2).copy()
