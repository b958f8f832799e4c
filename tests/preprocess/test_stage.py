"""AippStage: shapes, batches, static vs dynamic parameters, the manifest form, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from npukit.preprocess import AippError, AippStage, formats, from_dict, parse_atc

NV12 = {"input_format": "YUV420SP_U8", "src_image_size_w": 32, "src_image_size_h": 24,
        "csc_switch": True, "resize": True, "resize_output_w": 16, "resize_output_h": 16,
        "mean_chn_0": 10, "var_reci_chn_0": 0.5}
RGB = {"input_format": "RGB888_U8", "src_image_size_w": 20, "src_image_size_h": 10,
       "resize": True, "resize_mode": "nearest", "resize_output_w": 16,
       "resize_output_h": 16, "model_format": "BGR"}
DYN = "aipp_op {\n aipp_mode : dynamic\n max_src_image_size : 1200\n}\n"


def _frames(stage, seed=0):
    return np.random.default_rng(seed).integers(0, 256, stage.input_spec().shape, np.uint8)


def test_shapes_static():
    stage = AippStage(from_dict(NV12), batch=2)
    assert stage.input_spec().shape == (2, 36, 32) and stage.input_spec().dtype == "uint8"
    assert stage.output_shape() == (2, 3, 16, 16)
    nhwc = AippStage(from_dict(NV12), layout="NHWC")
    assert nhwc.output_shape() == (1, 16, 16, 3)
    f = _frames(nhwc)
    assert np.array_equal(nhwc.run_int(f), AippStage(from_dict(NV12)).run_int(f)
                          .transpose(0, 2, 3, 1))
    assert nhwc.run_float(f).shape == (1, 16, 16, 3) and nhwc.run_float(f).dtype == np.float32
    assert np.array_equal(nhwc.run_int(f[0]), nhwc.run_int(f))  # no batch axis
    assert np.array_equal(nhwc.run_int(f.reshape(-1)), nhwc.run_int(f))  # flat buffer


def test_static_batch_shares_one_parameter_set():
    stage = AippStage(from_dict(NV12), batch=2)
    f = _frames(stage)
    one = AippStage(from_dict(NV12))
    out = stage.run_int(f, (0.5, 0, "int8"))
    assert out.shape == (2, 3, 16, 16) and out.dtype == np.int8
    for i in range(2):
        assert np.array_equal(out[i], one.run_int(f[i], (0.5, 0, "int8"))[0])


def test_json_round_trip():
    stage = AippStage(from_dict(NV12), batch=2, layout="NHWC", name="images")
    again = AippStage.from_json(stage.to_json())
    assert again.to_json() == stage.to_json() and again.cfg == stage.cfg
    dyn = AippStage(parse_atc(DYN), model_hw=(16, 16), batch=2).with_dynamic([NV12, RGB])
    back = AippStage.from_json(dyn.to_json())
    f = _frames(dyn)
    assert np.array_equal(back.run_int(f), dyn.run_int(f))


def test_dynamic_parameters_differ_per_batch_item():
    stage = AippStage(parse_atc(DYN), model_hw=(16, 16), batch=2)
    assert stage.input_spec().shape == (2, 1200)
    assert stage.output_shape() == (2, 3, 16, 16)
    bound = stage.with_dynamic([NV12, RGB])
    buf = _frames(bound, seed=4)
    out = bound.run_int(buf, (0.5, 3, "int8"))
    nv = buf[0, :32 * 36].reshape(36, 32)
    rgb = buf[1, :600].reshape(10, 20, 3)
    assert np.array_equal(out[0], AippStage(from_dict(NV12)).run_int(nv, (0.5, 3, "int8"))[0])
    assert np.array_equal(out[1], AippStage(from_dict(RGB)).run_int(rgb, (0.5, 3, "int8"))[0])
    same = stage.with_dynamic(from_dict(NV12))  # one set for the whole batch
    assert same.run_float(buf).shape == (2, 3, 16, 16)
    assert np.array_equal(bound.run_int([nv, rgb]), bound.run_int(buf))


def test_dynamic_parameters_missing_at_run_time():
    stage = AippStage(parse_atc(DYN), model_hw=(16, 16))
    with pytest.raises(AippError, match="(?s)dynamic_params_missing.*with_dynamic"):
        stage.run_int(np.zeros((1, 1200), np.uint8))
    with pytest.raises(AippError, match="dynamic_params_missing"):
        stage.run_float(np.zeros((1, 1200), np.uint8))
    with pytest.raises(AippError, match="dynamic_params_missing"):
        stage.frame_from_image(np.zeros((10, 20, 3), np.uint8))


@pytest.mark.parametrize("params, rule", [
    ([NV12, NV12, NV12], "dynamic_batch"),
    ({**NV12, "resize_output_w": 8}, "dynamic_shape"),
    ({**NV12, "src_image_size_w": 64}, "dynamic_max_size"),
    ({**NV12, "mean_chn_0": 300}, "field_range"),
    ({"aipp_mode": "dynamic", "max_src_image_size": 10}, "dynamic_fields"),
])
def test_bad_dynamic_parameters(params, rule):
    stage = AippStage(parse_atc(DYN), model_hw=(16, 16), batch=2)
    with pytest.raises(AippError) as e:
        stage.with_dynamic(params)
    assert e.value.rule == rule


def test_bad_stage_use():
    with pytest.raises(AippError, match="(?s)dynamic_shape.*model_hw"):
        AippStage(parse_atc(DYN))
    with pytest.raises(AippError, match="dynamic_fields.*static"):
        AippStage(from_dict(NV12)).with_dynamic(NV12)
    with pytest.raises(AippError, match="layout"):
        AippStage(from_dict(NV12), layout="CHW")
    with pytest.raises(AippError, match="batch"):
        AippStage(from_dict(NV12), batch=0)
    stage = AippStage(from_dict(NV12), batch=2)
    with pytest.raises(AippError, match="frame_size.*does not match"):
        stage.run_int(np.zeros((3, 36, 32), np.uint8))
    with pytest.raises(AippError, match="frame_size.*src_image_size 32x24"):
        AippStage(from_dict(NV12)).run_int(np.zeros((1, 24, 32), np.uint8))
    with pytest.raises(AippError, match="manifest.*version"):
        AippStage.from_json('{"version": 99}')
    with pytest.raises(AippError, match="manifest.*corrupt"):
        AippStage.from_json("{not json")


def test_frame_from_image_feeds_calibration():
    rng = np.random.default_rng(7)
    rgb = np.repeat(np.repeat(rng.integers(0, 256, (6, 8, 3), np.uint8), 4, 0), 4, 1)
    cfg = from_dict({"input_format": "YUV420SP_U8", "src_image_size_w": 32,
                     "src_image_size_h": 24, "csc_switch": True})
    stage = AippStage(cfg)
    frame = stage.frame_from_image(rgb)
    assert frame.shape == formats.frame_shape("YUV420SP_U8", 24, 32)
    back = stage.run_float(frame)[0].transpose(1, 2, 0)
    assert np.abs(back - rgb).max() <= 3  # RGB -> YUV -> RGB round trip, blocky image
    big = np.repeat(np.repeat(rgb, 2, 0), 2, 1)
    assert stage.frame_from_image(big).shape == frame.shape
    with pytest.raises(AippError, match="frame_size.*64x48"):
        stage.frame_from_image(big, fit=False)


def test_frame_from_file_and_calibration_batch(tmp_path):
    cfg = from_dict({"input_format": "YUV420SP_U8", "src_image_size_w": 32,
                     "src_image_size_h": 24, "csc_switch": True})
    stage = AippStage(cfg)
    frame = np.random.default_rng(8).integers(0, 256, (36, 32), np.uint8)
    frame.tofile(tmp_path / "cam.nv12")
    assert np.array_equal(stage.frame_from_file(tmp_path / "cam.nv12"), frame)
    rgb = np.full((24, 32, 3), 100, np.uint8)
    got = stage.frame_from_file(tmp_path / "x.png", read_image=lambda p: rgb)
    assert np.array_equal(got, stage.frame_from_image(rgb))
    with pytest.raises(AippError, match="(?s)file.*no image reader"):
        stage.frame_from_file(tmp_path / "x.png")
    batch = stage.calibration_batch([rgb, rgb])
    assert batch.shape == (2, 3, 24, 32) and np.abs(batch - 100).max() <= 2
    dyn = AippStage(parse_atc(DYN), model_hw=(16, 16))
    with pytest.raises(AippError, match="dynamic_params_missing"):
        dyn.frame_from_file(tmp_path / "cam.nv12")


def test_dynamic_parameters_as_an_extra_input():
    from npukit.preprocess import dynamic

    stage = AippStage(parse_atc(DYN), model_hw=(16, 16), batch=2)
    assert AippStage(from_dict(NV12)).param_spec() is None
    spec = stage.param_spec()
    assert spec.name == "aipp_params" and spec.shape == (2, dynamic.RECORD_BYTES)
    sets = [from_dict(NV12), from_dict(RGB)]
    record = dynamic.encode_params(sets)
    assert record.shape == spec.shape and record.dtype == np.uint8
    assert dynamic.decode_params(record) == sets
    buf = _frames(stage, seed=9)
    assert np.array_equal(stage.with_param_input(record).run_int(buf),
                          stage.with_dynamic(sets).run_int(buf))
    with pytest.raises(AippError, match="dynamic_record.*expected"):
        dynamic.decode_params(record[:, :-8])
    bad = record.copy().view("<f8")
    bad[0, 1] = 7.0  # aipp_mode index out of range
    with pytest.raises(AippError, match="dynamic_record.*aipp_mode"):
        dynamic.decode_params(bad.view(np.uint8))
    bad = record.copy().view("<f8")
    bad[0, list(dynamic.FIELDS).index("mean_chn_0")] = 999
    with pytest.raises(AippError, match="field_range.*mean_chn_0"):
        dynamic.decode_params(bad.view(np.uint8))


def test_preprocess_imports_with_numpy_only():
    import subprocess
    import sys

    code = ("import sys, npukit.preprocess; "
            "print(sorted(m for m in ('cv2', 'skimage', 'scipy', 'onnx', 'torch', "
            "'onnxruntime', 'PIL') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_summary_lists_the_stages_in_order():
    text = AippStage(from_dict({**NV12, "rbuv_swap_switch": True})).summary()
    lines = text.splitlines()
    assert lines[0] == "input frame: YUV420SP_U8 (NV21) 32x24, uint8[1, 36, 32]"
    assert [ln.split(":")[0].strip() for ln in lines[1:-1]] == ["csc", "normalize", "resize"]
    assert lines[-1] == "model input: RGB [1, 3, 16, 16] NCHW"
    dyn = AippStage(parse_atc(DYN), model_hw=(16, 16))
    assert dyn.summary().startswith("dynamic AIPP")


def test_check_model_input():
    stage = AippStage(from_dict(NV12))
    stage.check_model_input((1, 3, 16, 16))
    stage.check_model_input((None, 3, 16, 16))  # dynamic batch
    with pytest.raises(AippError, match=r"(?s)model_input.*\[1, 3, 16, 16\].*\[1, 3, 224, 224\]"
                                        r".*resize_output_w/h"):
        stage.check_model_input((1, 3, 224, 224))
    with pytest.raises(AippError, match="model_input"):
        stage.check_model_input((1, 16, 16, 3))
