"""Frame layouts: shapes, channel orders, encode -> decode, raw files, frame checks."""

from __future__ import annotations

import numpy as np
import pytest

from npukit.preprocess import INPUT_FORMATS, AippError, formats, from_dict


def _cfg(fmt, w=8, h=6, **kw):
    model = "GRAY" if fmt == "YUV400_U8" else "YUV444" if fmt.startswith("YUV") else "RGB"
    return from_dict({"input_format": fmt, "src_image_size_w": w, "src_image_size_h": h,
                      "model_format": model, **kw})


@pytest.mark.parametrize("fmt, shape", [
    ("YUV420SP_U8", (9, 8)), ("YUV444_U8", (6, 8, 3)), ("RGB888_U8", (6, 8, 3)),
    ("BGR888_U8", (6, 8, 3)), ("XRGB8888_U8", (6, 8, 4)), ("ARGB8888_U8", (6, 8, 4)),
    ("YUV400_U8", (6, 8)), ("RGB_PLANAR_U8", (3, 6, 8)), ("BGR_PLANAR_U8", (3, 6, 8)),
])
def test_frame_shapes(fmt, shape):
    assert formats.frame_shape(fmt, 6, 8) == shape
    assert set(INPUT_FORMATS) == set(formats.BITS_PER_PIXEL)


def test_memory_orders():
    assert formats.memory_order("XRGB8888_U8", False, False) == "XRGB"
    assert formats.memory_order("XRGB8888_U8", False, True) == "RGBX"
    assert formats.memory_order("XRGB8888_U8", True, True) == "BGRX"
    assert formats.memory_order("RGB888_U8", True, False) == "BGR"
    assert formats.memory_order("BGR888_U8", True, False) == "RGB"
    assert formats.memory_order("YUV444_U8", True, False) == "YVU"


@pytest.mark.parametrize("fmt", [f for f in INPUT_FORMATS if not f.startswith("YUV")])
@pytest.mark.parametrize("rbuv", [False, True])
@pytest.mark.parametrize("ax", [False, True])
def test_rgb_formats_encode_then_decode_exactly(fmt, rbuv, ax):
    rgb = np.random.default_rng(2).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    cfg = _cfg(fmt, rbuv_swap_switch=rbuv, ax_swap_switch=ax)
    frame = formats.encode_rgb(rgb, cfg)
    assert frame.shape == formats.frame_shape(fmt, 6, 8)
    assert np.array_equal(formats.decode(frame, cfg), rgb)


def test_nv12_and_nv21_differ_only_in_the_chroma_order():
    rgb = np.random.default_rng(3).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    nv12 = formats.encode_rgb(rgb, _cfg("YUV420SP_U8"))
    nv21 = formats.encode_rgb(rgb, _cfg("YUV420SP_U8", rbuv_swap_switch=True))
    assert np.array_equal(nv12[:6], nv21[:6])
    assert np.array_equal(nv12[6:].reshape(3, 4, 2), nv21[6:].reshape(3, 4, 2)[..., ::-1])
    d12 = formats.decode(nv12, _cfg("YUV420SP_U8"))
    d21 = formats.decode(nv21, _cfg("YUV420SP_U8", rbuv_swap_switch=True))
    assert np.array_equal(d12, d21)
    assert np.array_equal(d12[0::2, 0::2, 1:], d12[1::2, 1::2, 1:])  # chroma per 2x2


def test_yuv444_and_gray_encodings_agree_on_luma():
    rgb = np.random.default_rng(4).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    yuv = formats.decode(formats.encode_rgb(rgb, _cfg("YUV444_U8")), _cfg("YUV444_U8"))
    gray = formats.encode_rgb(rgb, _cfg("YUV400_U8"))
    nv12 = formats.decode(formats.encode_rgb(rgb, _cfg("YUV420SP_U8")), _cfg("YUV420SP_U8"))
    assert np.array_equal(yuv[..., 0], gray) and np.array_equal(nv12[..., 0], gray)


def test_check_frame_errors_and_flat_buffers():
    cfg = _cfg("YUV420SP_U8")
    good = np.zeros((9, 8), np.uint8)
    assert formats.check_frame(good.reshape(-1), cfg).shape == (9, 8)
    with pytest.raises(AippError, match=r"(?s)frame_size.*\(6, 8\).*src_image_size 8x6.*"
                                        r"expected \(9, 8\).*src_image_size_w/h"):
        formats.check_frame(np.zeros((6, 8), np.uint8), cfg)
    with pytest.raises(AippError, match="frame_size.*dtype is float32"):
        formats.check_frame(good.astype(np.float32), cfg)
    with pytest.raises(AippError, match="frame_size.*RGB uint8 image"):
        formats.encode_rgb(np.zeros((6, 8), np.uint8), cfg)
    with pytest.raises(AippError, match="yuv420sp_even"):
        formats.encode_rgb(np.zeros((5, 8, 3), np.uint8), cfg)


def test_read_raw_files(tmp_path):
    cfg = _cfg("YUV420SP_U8")
    frame = np.arange(72, dtype=np.uint8).reshape(9, 8)
    frame.tofile(tmp_path / "f.nv12")
    assert np.array_equal(formats.read_raw(tmp_path / "f.nv12", cfg), frame)
    frame[:5].tofile(tmp_path / "short.yuv")
    with pytest.raises(AippError, match="frame_size.*40 bytes"):
        formats.read_raw(tmp_path / "short.yuv", cfg)
    with pytest.raises(AippError, match="file.*cannot read"):
        formats.read_raw(tmp_path / "none.yuv", cfg)


def test_fit_rgb_resamples_to_the_frame_size():
    rgb = np.random.default_rng(5).integers(0, 256, (10, 20, 3), dtype=np.uint8)
    out = formats.fit_rgb(rgb, 5, 10)
    assert out.shape == (5, 10, 3) and np.array_equal(out, rgb[1::2, 1::2])
