"""Small models quantized through AIPP, shared by the compiler, runtime and CLI tests (cached).

* the embedded MNIST CNN (``image: 1x1x28x28``) behind a grey camera (YUV400,
  56x56, nearest resize to 28x28, the demo's mean 33 / std 78);
* ``small_graph`` (``x: 1x3x8x8``) behind an NV12 camera (crop, bilinear resize,
  ImageNet-like per-channel normalisation) or an RGB888 one (channel swap to BGR,
  one dyadic ``var_reci``: the fold is exact).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from compiler.models import small_graph
from npukit.preprocess import AippConfig, AippStage, from_dict, parse_atc
from npukit.quant.config import QuantConfig

GRAY = from_dict({"input_format": "YUV400_U8", "model_format": "GRAY",
                  "color_standard": "bt601_full", "src_image_size_w": 56,
                  "src_image_size_h": 56, "resize": True, "resize_mode": "nearest",
                  "resize_output_w": 28, "resize_output_h": 28, "mean_chn_0": 33,
                  "var_reci_chn_0": 1 / 78})
NV12 = from_dict({"input_format": "YUV420SP_U8", "src_image_size_w": 20,
                  "src_image_size_h": 14, "csc_switch": True, "crop": True,
                  "load_start_pos_w": 2, "load_start_pos_h": 2, "crop_size_w": 16,
                  "crop_size_h": 10, "resize": True, "resize_output_w": 8,
                  "resize_output_h": 8, "mean_chn_0": 124, "mean_chn_1": 116,
                  "mean_chn_2": 104, "var_reci_chn_0": 0.0171, "var_reci_chn_1": 0.0175,
                  "var_reci_chn_2": 0.0174})
RGB = from_dict({"input_format": "RGB888_U8", "model_format": "BGR", "src_image_size_w": 8,
                 "src_image_size_h": 8, **{f"mean_chn_{i}": 112 for i in range(3)},
                 **{f"var_reci_chn_{i}": 1 / 32 for i in range(3)}})
DYNAMIC = parse_atc("aipp_op {\n  aipp_mode : dynamic\n  max_src_image_size : 600\n}\n")


def digit_images(n: int, start: int = 0, heldout: bool = False) -> np.ndarray:
    """Demo digits as 56x56 RGB uint8 photos (each pixel doubled)."""
    from npukit import demo
    d = demo.heldout() if heldout else demo.calibration()
    g = np.kron(d.images[start:start + n], np.ones((2, 2), np.uint8))
    return np.repeat(g[..., None], 3, axis=-1)


def rgb_images(n: int, h: int, w: int, seed: int = 3) -> np.ndarray:
    """Smooth random RGB photos (blocks of 2x2), so chroma subsampling loses little."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (n, (h + 1) // 2, (w + 1) // 2, 3), np.uint8)
    return np.repeat(np.repeat(small, 2, 1), 2, 2)[:, :h, :w]


@cache
def demo_gray_model():
    from npukit import demo
    from npukit.api import load, quantize
    m = load(str(demo.MODEL), input_shapes={"image": [1, 1, 28, 28]})
    return quantize(m, list(digit_images(20)), QuantConfig(), aipp=GRAY)


@cache
def small_aipp_model(cfg: AippConfig):
    """``small_graph`` quantized through ``cfg`` (static, or dynamic bound to NV12)."""
    from npukit.api import quantize
    aipp = AippStage(cfg, model_hw=(8, 8)).with_dynamic(NV12) if cfg.dynamic else cfg
    return quantize(small_graph(), list(rgb_images(12, 14, 20)), QuantConfig(), aipp=aipp)
