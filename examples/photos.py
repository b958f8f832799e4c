"""Natural photos from scikit-image as seeded, distinct crops for calibration and evaluation.

    calib = photo_crops(100, seed=1)   # uint8 [100, 224, 224, 3]
    evals = photo_crops(100, seed=2)   # different crops of the same photos
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png",
          "motorcycle_right.png", "hubble_deep_field.jpg", "retina.jpg", "ihc.png")


def photo_files() -> list[Path]:
    import skimage.data
    root = Path(skimage.data.__file__).parent
    return [root / p for p in PHOTOS if (root / p).exists()]


def photo_crops(n: int, seed: int, size: int = 224) -> np.ndarray:
    """``n`` RGB crops (uint8, HWC) of random position, scale 35–100 % of the shorter
    side and random horizontal flip, resized to ``size``×``size`` (bilinear)."""
    from PIL import Image
    rng = np.random.default_rng(seed)
    images = [Image.open(p).convert("RGB") for p in photo_files()]
    out = np.empty((n, size, size, 3), np.uint8)
    for k in range(n):
        img = images[rng.integers(len(images))]
        w, h = img.size
        side = int(min(w, h) * rng.uniform(0.35, 1.0))
        x0, y0 = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
        crop = img.crop((x0, y0, x0 + side, y0 + side)).resize((size, size), Image.BILINEAR)
        arr = np.asarray(crop)
        out[k] = arr[:, ::-1] if rng.random() < 0.5 else arr
    return out


def to_nchw(images: np.ndarray, mean: float, std: float) -> np.ndarray:
    return ((images.astype(np.float32) - mean) / std).transpose(0, 3, 1, 2).copy()
