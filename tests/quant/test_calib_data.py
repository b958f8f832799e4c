"""Calibration data: images, arrays, lists, in-memory sources and every documented error."""

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from npukit.errors import InputError, NpukitError
from npukit.ir import parse_graph
from npukit.quant.calib_data import CalibConfig, CalibrationSource, InputSpec, progress

IMG = [InputSpec("x", (1, 3, 6, 8))]          # NCHW, H=6, W=8
IMG_NHWC = [InputSpec("x", (1, 6, 8, 3))]


def solid(path: Path, rgb, size=(8, 6)) -> Path:
    Image.new("RGB", size, rgb).save(path)
    return path


@pytest.fixture
def folder(tmp_path):
    solid(tmp_path / "a.png", (10, 20, 30))
    solid(tmp_path / "b.jpg", (200, 100, 50))
    solid(tmp_path / "c.bmp", (0, 255, 128), size=(16, 12))
    (tmp_path / "notes.md").write_text("ignored")
    return tmp_path


def test_folder_of_images_nchw_rgb(folder):
    src = CalibrationSource(folder, IMG)
    assert len(src) == 3 and src.samples == 3
    feeds = list(src)
    assert [list(f) for f in feeds] == [["x"]] * 3
    a = feeds[0]["x"]
    assert a.shape == (1, 3, 6, 8) and a.dtype == np.float32
    np.testing.assert_array_equal(a[0, :, 0, 0], [10, 20, 30])
    np.testing.assert_allclose(feeds[1]["x"][0, :, 3, 4], [200, 100, 50], atol=3)  # jpeg
    np.testing.assert_array_equal(feeds[2]["x"][0, :, 3, 4], [0, 255, 128])        # resized


def test_nhwc_bgr_mean_std(folder):
    cfg = CalibConfig(mean=(10, 20, 30), std=(2, 4, 5), color="BGR", layout="NHWC")
    a = next(iter(CalibrationSource(folder / "a.png", IMG_NHWC, cfg)))["x"]
    assert a.shape == (1, 6, 8, 3)
    # BGR order: (30, 20, 10), minus mean (10, 20, 30), over std (2, 4, 5)
    np.testing.assert_allclose(a[0, 2, 2], [(30 - 10) / 2, 0.0, (10 - 30) / 5])
    per_input = CalibConfig(mean=[[128.0]], std=[[128.0]])
    b = next(iter(CalibrationSource(folder / "a.png", IMG, per_input)))["x"]
    np.testing.assert_allclose(b[0, :, 0, 0], (np.array([10, 20, 30]) - 128) / 128)


def test_center_crop_vs_stretch(tmp_path):
    im = Image.new("RGB", (30, 10), (0, 0, 0))          # wide image: left third red
    im.paste((255, 0, 0), (0, 0, 10, 10))
    im.save(tmp_path / "wide.png")
    spec = [InputSpec("x", (1, 3, 10, 10))]
    stretch = next(iter(CalibrationSource(tmp_path, spec)))["x"]
    crop = next(iter(CalibrationSource(tmp_path, spec, CalibConfig(resize="center_crop"))))["x"]
    assert stretch[0, 0, 5, 0] == 255             # squeezed: red survives at the left
    assert crop[0, 0].max() == 0                  # centre crop keeps only the black middle


def test_grey_input_and_uint8_input(folder):
    grey = next(iter(CalibrationSource(folder / "a.png", [InputSpec("x", (1, 1, 6, 8))])))
    assert grey["x"].shape == (1, 1, 6, 8)
    raw = next(iter(CalibrationSource(folder / "a.png", [InputSpec("x", (1, 3, 6, 8), "uint8")],
                                      CalibConfig(mean=0, std=1))))
    assert raw["x"].dtype == np.uint8 and raw["x"][0, 2, 0, 0] == 30
    with pytest.raises(InputError, match="raw pixels"):
        next(iter(CalibrationSource(folder / "a.png", [InputSpec("x", (1, 3, 6, 8), "uint8")],
                                    CalibConfig(mean=127, std=1))))


def test_real_photos(tmp_path):
    skdata = pytest.importorskip("skimage.data")
    root = Path(skdata.__file__).parent
    lines = [str(root / n) for n in ("astronaut.png", "coffee.png", "chelsea.png")]
    (tmp_path / "dataset.txt").write_text("\n".join(lines) + "\n")
    spec = [InputSpec("images", ("N", 224, 224, 3))]
    cfg = CalibConfig(mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375),
                      layout="NHWC", resize="center_crop")
    feeds = list(CalibrationSource(tmp_path / "dataset.txt", spec, cfg))
    assert len(feeds) == 3
    for f in feeds:
        x = f["images"]
        assert x.shape == (1, 224, 224, 3) and np.isfinite(x).all()
        assert -2.5 < x.mean() < 2.5 and x.std() > 0.2


def test_npy_single_and_stack(tmp_path, rng):
    spec = [InputSpec("x", (1, 4))]
    np.save(tmp_path / "one.npy", rng.standard_normal((1, 4)).astype(np.float32))
    np.save(tmp_path / "nobatch.npy", rng.standard_normal(4).astype(np.float32))
    stack = rng.standard_normal((5, 4)).astype(np.float32)
    np.save(tmp_path / "stack.npy", stack)
    assert len(CalibrationSource(tmp_path, spec)) == 7
    feeds = list(CalibrationSource(tmp_path / "stack.npy", spec))
    assert len(feeds) == 5
    np.testing.assert_array_equal(np.concatenate([f["x"] for f in feeds]), stack)
    limited = CalibrationSource(tmp_path / "stack.npy", spec, CalibConfig(limit=2))
    assert len(limited) == 2 and len(list(limited)) == 2


def test_dynamic_and_fixed_batch(rng):
    data = rng.standard_normal((6, 2)).astype(np.float32)
    assert [f["x"].shape for f in CalibrationSource(data, [InputSpec("x", ("N", 2))])] == \
        [(1, 2)] * 6
    fixed = list(CalibrationSource(data, [InputSpec("x", (4, 2))]))
    assert len(fixed) == 1 and fixed[0]["x"].shape == (4, 2)   # remainder dropped


def test_npz_and_multi_input_txt(tmp_path, rng):
    specs = [InputSpec("a", (1, 2)), InputSpec("b", (1, 3))]
    np.savez(tmp_path / "s0.npz", a=np.ones((1, 2), np.float32), b=np.zeros(3, np.float32))
    np.savez(tmp_path / "s1.npz", np.full(2, 2, np.float32), np.full((3, 3), 5, np.float32))
    with pytest.raises(InputError, match="different numbers of samples"):
        list(CalibrationSource(tmp_path / "s1.npz", specs))
    feeds = list(CalibrationSource(tmp_path / "s0.npz", specs))
    assert feeds[0]["a"].shape == (1, 2) and feeds[0]["b"].shape == (1, 3)
    sub = tmp_path / "arrays"
    sub.mkdir()
    for k in range(2):
        np.save(sub / f"a{k}.npy", np.full((1, 2), k, np.float32))
        np.save(sub / f"b{k}.npy", np.full((1, 3), -k, np.float32))
    (tmp_path / "dataset.txt").write_text("# a b\narrays/a0.npy arrays/b0.npy\n\n"
                                          "arrays/a1.npy   arrays/b1.npy\n")
    feeds = list(CalibrationSource(tmp_path / "dataset.txt", specs))
    assert len(feeds) == 2 and feeds[1]["b"][0, 0] == -1 and feeds[1]["a"][0, 0] == 1


def test_in_memory_sources(rng):
    spec = [InputSpec("x", (1, 2))]
    arrays = [rng.standard_normal(2).astype(np.float32) for _ in range(3)]
    assert len(list(CalibrationSource(arrays, spec))) == 3
    dicts = [{"x": a} for a in arrays]
    assert len(CalibrationSource(dicts, spec)) == 3
    assert len(CalibrationSource({"x": np.stack(arrays)}, spec)) == 3


def test_from_graph(rng):
    g = parse_graph('graph "g" opset 21 {\n input x: f32[N,2]\n node r = Relu(x) -> (y: f32[N,2])'
                    '\n output y\n}')
    feeds = list(CalibrationSource(rng.standard_normal((3, 2)).astype(np.float32), g))
    assert len(feeds) == 3


# ---- errors -------------------------------------------------------------------------------
def test_missing_and_empty_sources(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        CalibrationSource(tmp_path / "nope", IMG)
    with pytest.raises(InputError, match=f"'{tmp_path}' holds no images"):
        CalibrationSource(tmp_path, IMG)
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(InputError, match="empty.txt' is empty"):
        CalibrationSource(tmp_path / "empty.txt", IMG)
    with pytest.raises(InputError, match="holds no samples"):
        CalibrationSource([], IMG)


def test_undecodable_image_names_the_file(tmp_path):
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg at all")
    src = CalibrationSource(tmp_path, IMG)
    with pytest.raises(InputError, match="cannot decode image .*broken.jpg"):
        list(src)


def test_wrong_shape_names_file_input_and_expected_shape(tmp_path):
    np.save(tmp_path / "bad.npy", np.zeros((3, 5, 5), np.float32))
    with pytest.raises(InputError, match=r"bad.npy: array for input 'x' has shape \[3, 5, 5\]; "
                                         r"the model expects \[1, 3, 6, 8\]"):
        len(CalibrationSource(tmp_path, IMG))


def test_wrong_dtype_names_file_and_input(tmp_path):
    np.save(tmp_path / "ints.npy", np.zeros((1, 3, 6, 8), np.int32))
    with pytest.raises(InputError, match=r"ints.npy: array for input 'x' has dtype int32; "
                                         r"the model expects float32"):
        list(CalibrationSource(tmp_path, IMG))


def test_txt_errors(tmp_path, folder):
    (tmp_path / "two.txt").write_text("a.png b.jpg\n")
    with pytest.raises(InputError, match=r"two.txt line 1: 2 path\(s\) for 1 model input"):
        CalibrationSource(tmp_path / "two.txt", IMG)
    (tmp_path / "gone.txt").write_text("a.png\nmissing.png\n")
    with pytest.raises(InputError, match="gone.txt line 2: file .*missing.png' does not exist"):
        CalibrationSource(tmp_path / "gone.txt", IMG)


def test_multi_input_needs_a_list_or_npz(folder):
    specs = [InputSpec("a", (1, 3, 6, 8)), InputSpec("b", (1, 3, 6, 8))]
    with pytest.raises(InputError, match="single-input model"):
        CalibrationSource(folder, specs)
    with pytest.raises(InputError, match="do not match the model inputs"):
        CalibrationSource([{"a": np.zeros((3, 6, 8))}], specs)


def test_image_needs_static_4d_input(folder):
    with pytest.raises(InputError, match="static C, H, W"):
        list(CalibrationSource(folder / "a.png", [InputSpec("x", (1, 3, "H", "W"))]))
    with pytest.raises(InputError, match="5 channels"):
        list(CalibrationSource(folder / "a.png", [InputSpec("x", (1, 5, 6, 8))]))


def test_config_validation():
    with pytest.raises(NpukitError, match="layout"):
        CalibConfig(layout="CHW")
    with pytest.raises(NpukitError, match="limit"):
        CalibConfig(limit=0)
    with pytest.raises(NpukitError, match="2 values"):
        CalibConfig(mean=(1, 2)).norm(0, 3)
    with pytest.raises(NpukitError, match="std must not contain 0"):
        CalibConfig(std=0).norm(0, 3)


def test_progress_is_silent_off_a_terminal(capsys, monkeypatch):
    items = [1, 2, 3]
    assert progress(items, 3, "x") is items           # pytest's stderr is not a TTY
    assert progress(items, 3, "x", enable=False) is items
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert list(progress(items, 3, "calibrating")) == items
