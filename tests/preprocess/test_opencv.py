"""AIPP against OpenCV on real photos (skimage.data) turned into NV12 / NV21 by OpenCV.

The bounds asserted here are the ones docs/aipp.md §6 states.
"""

from __future__ import annotations

import numpy as np
import pytest

from npukit.preprocess import AippStage, from_dict

from ._photos import PHOTOS, photo, to_nv

cv2 = pytest.importorskip("cv2")


def _run(frame: np.ndarray, **fields) -> np.ndarray:
    """Integer path with identity normalisation: model pixels (H, W, C) as int."""
    cfg = from_dict(fields)
    return AippStage(cfg).run_int(frame, (1.0, 0, "uint8"))[0].transpose(1, 2, 0).astype(int)


@pytest.mark.parametrize("name", PHOTOS)
@pytest.mark.parametrize("nv21", [False, True])
@pytest.mark.parametrize("model", ["RGB", "BGR"])
def test_csc_nv12_nv21_within_one_level_of_cvtcolor(name, nv21, model):
    rgb = photo(name)
    h, w = rgb.shape[:2]
    frame = to_nv(rgb, nv21)
    code = getattr(cv2, f"COLOR_YUV2{model}_{'NV21' if nv21 else 'NV12'}")
    ours = _run(frame, input_format="YUV420SP_U8", src_image_size_w=w, src_image_size_h=h,
                csc_switch=True, rbuv_swap_switch=nv21, model_format=model)
    diff = np.abs(ours - cv2.cvtColor(frame, code))
    assert diff.max() <= 1 and diff.mean() < 0.1


@pytest.mark.parametrize("name", PHOTOS)
def test_rgb_to_ycbcr_full_range_within_one_level(name):
    rgb = photo(name)
    h, w = rgb.shape[:2]
    ours = _run(rgb, input_format="RGB888_U8", src_image_size_w=w, src_image_size_h=h,
                csc_switch=True, model_format="YUV444", color_standard="bt601_full")
    ref = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)[..., [0, 2, 1]]
    assert np.abs(ours - ref).max() <= 1


@pytest.mark.parametrize("name", PHOTOS)
@pytest.mark.parametrize("size", [(224, 224), (97, 131), (600, 700)])
def test_nearest_equals_opencv_except_at_exact_integer_positions(name, size):
    """OpenCV INTER_NEAREST picks ``floor(d * (in/out))`` with a rounded double scale, so
    where ``d * in / out`` is an exact integer k it may pick k - 1; npukit picks k."""
    rgb = photo(name)
    h, w = rgb.shape[:2]
    oh, ow = size
    ours = _run(rgb, input_format="RGB888_U8", src_image_size_w=w, src_image_size_h=h,
                resize=True, resize_mode="nearest", resize_output_w=ow, resize_output_h=oh)
    ref = cv2.resize(rgb, (ow, oh), interpolation=cv2.INTER_NEAREST)
    rows = (np.arange(oh) * h) % oh != 0
    cols = (np.arange(ow) * w) % ow != 0
    rows[0] = cols[0] = True  # d = 0 is exact in both
    assert np.array_equal(ours[np.ix_(rows, cols)], ref[np.ix_(rows, cols)])


@pytest.mark.parametrize("name", PHOTOS)
@pytest.mark.parametrize("size", [(224, 224), (97, 131), (700, 900)])
def test_bilinear_within_one_level_of_opencv(name, size):
    rgb = photo(name)
    h, w = rgb.shape[:2]
    oh, ow = size
    ours = _run(rgb, input_format="RGB888_U8", src_image_size_w=w, src_image_size_h=h,
                resize=True, resize_mode="bilinear", resize_output_w=ow, resize_output_h=oh)
    diff = np.abs(ours - cv2.resize(rgb, (ow, oh), interpolation=cv2.INTER_LINEAR))
    assert diff.max() <= 1 and diff.mean() < 0.2


@pytest.mark.parametrize("name", PHOTOS)
def test_nv12_to_224_pipeline_within_two_levels_of_opencv(name):
    """cvtColor(NV12 -> RGB) + resize(INTER_LINEAR): one level from each stage at most."""
    rgb = photo(name)
    h, w = rgb.shape[:2]
    frame = to_nv(rgb)
    ours = _run(frame, input_format="YUV420SP_U8", src_image_size_w=w, src_image_size_h=h,
                csc_switch=True, resize=True, resize_output_w=224, resize_output_h=224)
    ref = cv2.resize(cv2.cvtColor(frame, cv2.COLOR_YUV2RGB_NV12), (224, 224),
                     interpolation=cv2.INTER_LINEAR)
    diff = np.abs(ours - ref)
    assert diff.max() <= 2 and diff.mean() < 0.25


def test_normalised_output_matches_opencv_pipeline():
    """Float path, ImageNet normalisation, vs OpenCV + NumPy: within the 2-level bound."""
    rgb = photo("astronaut")
    h, w = rgb.shape[:2]
    frame = to_nv(rgb)
    mean, std = np.array([123, 117, 104]), np.array([58.395, 57.12, 57.375])
    cfg = from_dict({"input_format": "YUV420SP_U8", "src_image_size_w": w,
                     "src_image_size_h": h, "csc_switch": True, "resize": True,
                     "resize_output_w": 224, "resize_output_h": 224,
                     **{f"mean_chn_{i}": int(mean[i]) for i in range(3)},
                     **{f"var_reci_chn_{i}": 1 / std[i] for i in range(3)}})
    ours = AippStage(cfg).run_float(frame)[0].transpose(1, 2, 0)
    ref = cv2.resize(cv2.cvtColor(frame, cv2.COLOR_YUV2RGB_NV12), (224, 224),
                     interpolation=cv2.INTER_LINEAR)
    assert np.abs(ours - (ref - mean) / std).max() <= 2 / std.min() + 1e-6
