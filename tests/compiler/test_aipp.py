"""AIPP at compile time: stages for the model's inputs, calibration through them, the manifest."""

from __future__ import annotations

import json

import numpy as np
import pytest

from compiler.aipp_models import (
    DYNAMIC,
    GRAY,
    NV12,
    RGB,
    demo_gray_model,
    digit_images,
    rgb_images,
    small_aipp_model,
)
from compiler.models import demo_model, small_graph
from npukit.compiler import compile_model
from npukit.compiler.aipp import aipp_stages, input_range
from npukit.compiler.aipp_calib import quantize_through_aipp
from npukit.errors import InputError
from npukit.ir import Graph
from npukit.preprocess import AippError, AippStage, from_dict, to_atc, to_dict, to_toml
from npukit.quant.config import QuantConfig
from npukit.quant.quantizer import quantize


def _two_inputs() -> Graph:
    g = Graph("two", 17)
    g.add_input("a", "float32", (1, 3, 8, 8))
    g.add_input("b", "float32", (1, 3, 8, 8))
    return g


def _same_params(a, b) -> None:
    quantized = [n for n, v in a.graph.values.items() if v.quant is not None]
    assert len(quantized) > 5
    for name in quantized:
        assert a.graph.values[name].quant.same_as(b.graph.values[name].quant), name


def test_stages_from_files_by_rank(tmp_path):
    g = _two_inputs()
    (tmp_path / "a.cfg").write_text(to_atc(RGB) + to_atc(NV12.replace(related_input_rank=1)))
    stages = aipp_stages(g, tmp_path / "a.cfg")
    assert list(stages) == ["a", "b"]
    assert stages["a"].cfg == RGB and stages["b"].cfg.input_format == "YUV420SP_U8"
    assert stages["b"].input_spec().shape == (1, 21, 20) and stages["b"].name == "b"
    (tmp_path / "b.toml").write_text(to_toml(NV12))
    assert aipp_stages(g, {"b": tmp_path / "b.toml"})["b"].cfg == NV12
    assert aipp_stages(g, None) == {}


def test_layout_is_inferred_from_the_input_shape():
    g = Graph("nhwc", 17)
    g.add_input("x", "float32", (2, 8, 8, 3))
    stage = aipp_stages(g, NV12)["x"]
    assert stage.layout == "NHWC" and stage.batch == 2 and stage.output_shape() == (2, 8, 8, 3)
    dyn = aipp_stages(g, DYNAMIC)["x"]
    assert dyn.layout == "NHWC" and dyn.model_hw == (8, 8) and dyn.input_spec().shape == (2, 600)


@pytest.mark.parametrize("spec, words", [
    ({"y": RGB}, "model_input.*'y'.*not an input"),
    (RGB.replace(related_input_rank=2), "model_input.*related_input_rank 2"),
    (from_dict({**to_dict(RGB), "src_image_size_w": 10}), "model_input.*produces"),
    (42, "file.*int"),
])
def test_bad_stage_specs(spec, words):
    with pytest.raises(AippError, match=words):
        aipp_stages(_two_inputs(), spec)


def test_bad_config_file_names_the_rule(tmp_path):
    (tmp_path / "bad.cfg").write_text("aipp_op {\n input_format : YUV420SP_U8\n"
                                      " src_image_size_W : 224\n}\n")
    with pytest.raises(AippError, match="(?s)known_fields.*did you mean 'src_image_size_w'"):
        aipp_stages(small_graph(), tmp_path / "bad.cfg")
    with pytest.raises(AippError, match="file.*cannot read"):
        aipp_stages(small_graph(), tmp_path / "missing.cfg")


def test_input_range_is_every_byte_normalised():
    lo, hi = input_range(AippStage(NV12))
    n = NV12.normalize
    ends = [(b - n.mean[c]) * n.var_reci[c] for c in range(3) for b in (0, 255)]
    assert (lo, hi) == (min(ends), max(ends))
    assert input_range(AippStage(DYNAMIC, model_hw=(8, 8))) is None
    bound = AippStage(DYNAMIC, model_hw=(8, 8)).with_dynamic(RGB)
    assert input_range(bound) == (-112 / 32, 143 / 32)


def test_calibration_goes_through_the_aipp():
    """Photos through AIPP give the same model as its float output given as feeds,
    and the input's quantization is the exact AIPP range, not an estimate."""
    images = rgb_images(6, 14, 20)
    stage = AippStage(NV12)
    feeds = [{"x": stage.run_float(stage.frame_from_image(im))} for im in images]
    a = quantize_through_aipp(small_graph(), {"x": stage}, list(images))
    b = quantize_through_aipp(small_graph(), {"x": stage}, feeds)
    _same_params(a, b)
    q = a.graph.values["x"].quant
    lo, hi = input_range(stage)
    assert np.isclose(q.scale[0], (hi - lo) / 255)
    assert q.zero_point[0] == -128 - round(lo / q.scale[0])
    assert a.calibration.ranges["x"] == (lo, hi)
    assert tuple(a.calibration.observers["x"].range()) != (lo, hi)   # the estimate, replaced


def test_dyadic_var_reci_makes_the_fold_exact(tmp_path):
    qm = small_aipp_model(RGB)
    assert float(qm.graph.values["x"].quant.scale[0]) == 1 / 32
    res = compile_model(qm, "rk3588", tmp_path / "m.npk", aipp=RGB)
    entry = res.manifest["aipp"]["inputs"]["x"]
    assert entry["fold_exact"] is True and entry["params_input"] is None
    assert entry["quant"]["scale"] == [1 / 32] and entry["rounding"] == "half_away_from_zero"
    assert AippStage.from_json(json.dumps(entry["stage"])).cfg == RGB
    nv = compile_model(small_aipp_model(NV12), "rk3588", tmp_path / "n.npk", aipp=NV12)
    assert nv.manifest["aipp"]["inputs"]["x"]["fold_exact"] is False   # bilinear: Q11


def test_manifest_layout_2_only_with_aipp(tmp_path):
    qm = demo_gray_model()
    res = compile_model(qm, "rk3588", tmp_path / "g.npk", aipp=GRAY,
                        shapes=[{"image": [1, 1, 28, 28]}, {"image": [2, 1, 28, 28]}])
    assert res.manifest["model"]["version"] == 2
    assert res.manifest["io"]["inputs"][0]["shape"] == [1, 1, 28, 28]   # the program's input
    assert set(res.manifest["aipp"]["inputs"]) == {"image"}
    plain = compile_model(demo_model(), "rk3588", tmp_path / "p.npk")
    assert plain.manifest["model"]["version"] == 1 and "aipp" not in plain.manifest


def test_compile_rejects_aipp_that_does_not_fit(tmp_path):
    with pytest.raises(AippError, match="model_input.*produces"):
        compile_model(small_aipp_model(NV12), "rk3588", tmp_path / "m.npk", aipp=GRAY)
    with pytest.raises(AippError, match="layout.*raw frames"):
        compile_model(small_aipp_model(NV12), "rk3588", tmp_path / "m.npk", aipp=NV12,
                      layouts={"x": "NHWC"})
    assert not (tmp_path / "m.npk").exists()


def test_calibration_sources(tmp_path):
    from PIL import Image
    stage = aipp_stages(small_graph(), NV12)
    images = rgb_images(3, 14, 20)
    for i, im in enumerate(images):
        Image.fromarray(im).save(tmp_path / f"{i}.png")
    frame = AippStage(NV12).frame_from_image(images[0])
    frame.tofile(tmp_path / "cam.nv12")
    np.save(tmp_path / "frames.npy", np.stack([frame, frame]))
    (tmp_path / "notes.md").write_text("ignored")
    (tmp_path / "list.txt").write_text("0.png\n# a comment\ncam.nv12\n")
    cfg = QuantConfig(bias_correction=False)
    folder = quantize_through_aipp(small_graph(), stage, tmp_path, cfg)
    assert folder.calibration.batches == 6            # 3 photos, 1 raw frame, 2 in .npy
    listed = quantize_through_aipp(small_graph(), stage, tmp_path / "list.txt", cfg)
    assert listed.calibration.batches == 2
    arrays = quantize_through_aipp(small_graph(), stage, [images[0], frame], cfg)
    _same_params(arrays, listed)


@pytest.mark.parametrize("calib, words", [
    (np.zeros((2, 14, 20, 3), np.float32), "file.*float32.*uint8"),
    (np.zeros((5, 7), np.uint8), "frame_size.*neither a raw frame"),
    ("missing-folder", "does not exist"),
])
def test_bad_calibration(calib, words):
    with pytest.raises((AippError, InputError), match=words):
        quantize_through_aipp(small_graph(), aipp_stages(small_graph(), NV12), calib)


def test_bad_raw_calibration_frame(tmp_path):
    np.zeros(100, np.uint8).tofile(tmp_path / "short.nv12")
    with pytest.raises(AippError, match="frame_size.*src_image_size 20x14"):
        quantize_through_aipp(small_graph(), aipp_stages(small_graph(), NV12),
                              tmp_path / "short.nv12")


def test_dynamic_calibration():
    """Unbound dynamic AIPP: the normalisation is set per run, so the model is calibrated
    the ordinary way (model-input feeds, or images with CalibConfig's mean / std)."""
    stage = aipp_stages(small_graph(), DYNAMIC)
    with pytest.raises(InputError, match="model expects"):    # photos are not model inputs
        quantize_through_aipp(small_graph(), stage, list(rgb_images(2, 14, 20)))
    feeds = [{"x": np.random.default_rng(i).standard_normal((1, 3, 8, 8)).astype(np.float32)}
             for i in range(3)]
    plain = quantize_through_aipp(small_graph(), stage, feeds)     # ordinary calibration
    assert plain.graph.values["x"].quant.same_as(
        quantize(small_graph(), feeds, show_progress=False).graph.values["x"].quant)
    bound = small_aipp_model(DYNAMIC)                               # bound to NV12
    assert bound.graph.values["x"].quant.same_as(small_aipp_model(NV12).graph.values["x"].quant)


def test_gray_demo_digits_through_aipp():
    qm = demo_gray_model()
    q = qm.graph.values["image"].quant
    assert np.isclose(q.scale[0], 1 / 78) and q.zero_point[0] == -128 + 33
    assert digit_images(2).shape == (2, 56, 56, 3)
