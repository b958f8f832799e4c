"""Real photos from skimage.data as NV12 / NV21 frames made by OpenCV (seeded, cached)."""

from __future__ import annotations

from functools import cache

import numpy as np

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket")


@cache
def photo(name: str) -> np.ndarray:
    """An RGB uint8 photo cropped to even height and width."""
    from skimage import data

    rgb = getattr(data, name)()
    h, w = rgb.shape[0] & ~1, rgb.shape[1] & ~1
    return np.ascontiguousarray(rgb[:h, :w])


def to_nv(rgb: np.ndarray, nv21: bool = False) -> np.ndarray:
    """``cv2.cvtColor(rgb, COLOR_RGB2YUV_I420)`` rearranged to NV12 (UV) or NV21 (VU)."""
    import cv2

    h, w = rgb.shape[:2]
    i420 = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).reshape(-1)
    n = h * w // 4
    u = i420[h * w: h * w + n].reshape(h // 2, w // 2)
    v = i420[h * w + n:].reshape(h // 2, w // 2)
    uv = np.stack([v, u] if nv21 else [u, v], axis=-1).reshape(h // 2, w)
    return np.concatenate([i420[: h * w].reshape(h, w), uv])
