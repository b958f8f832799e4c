"""`npukit quantize` and `npukit analyze` on real models from files, as a user runs them:
light models from the onnx wheel (architecture only, seeded weights), the embedded demo
model and EfficientNet-Lite0 with its ImageNet weights.  The analysis JSON names every
layer with its accumulated and single errors, and each output's cosine / top-1 summary."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from npukit.cli.main import main
from npukit.frontends.onnx.zoo import light_model_path, randomized

LAYER_KEYS = {"cosine", "snr_db"}


def _check_report(path, *, min_rows: int) -> dict:
    rep = json.loads(path.read_text())
    assert len(rep["rows"]) >= min_rows
    for row in rep["rows"]:
        assert row["node"] and row["op"] and row["engine"] in ("npu", "cpu")
        for view in ("accumulated", "single"):
            assert LAYER_KEYS <= set(row[view]), row
            assert -1.0 <= row[view]["cosine"] <= 1.0 + 1e-9
    for out in rep["outputs"].values():
        assert 0.0 <= out["top1_agreement"] <= 1.0
        assert out["min_cosine"] <= out["mean_cosine"] <= 1.0 + 1e-9
    assert "onnxruntime" in rep["golden"]
    return rep


@pytest.mark.slow
@pytest.mark.parametrize("name", ["squeezenet", "shufflenet", "inception_v1"])
def test_light_models(name, tmp_path, capsys):
    model = tmp_path / f"{name}.onnx"
    onnx.save(randomized(onnx.load(light_model_path(name)), seed=1), model)
    from npukit.api import load
    g = load(model).graph
    shape = list(g.values[g.inputs[0]].shape)
    rng = np.random.default_rng(0)
    np.save(tmp_path / "calib.npy", rng.standard_normal([4] + shape[1:]).astype(np.float32))
    np.save(tmp_path / "eval.npy", rng.standard_normal([2] + shape[1:]).astype(np.float32))
    assert main(["quantize", str(model), "--calib", str(tmp_path / "calib.npy"),
                 "--json"]) == 0
    decisions = json.loads(capsys.readouterr().out)
    assert decisions
    assert main(["analyze", str(model), "--calib", str(tmp_path / "calib.npy"), "--inputs",
                 str(tmp_path / "eval.npy"), "--json", str(tmp_path / "r.json"),
                 "--report", str(tmp_path / "report")]) == 0
    text = capsys.readouterr().out
    assert "acc cos" in text and "single cos" in text
    rep = _check_report(tmp_path / "r.json", min_rows=10)
    assert rep["samples"] == 2
    assert (tmp_path / "report").is_dir() and any((tmp_path / "report").iterdir())


def test_demo_model(tmp_path, capsys):
    from npukit import demo
    meta = demo.meta()
    x = demo.calibration().tensors(meta["mean"], meta["std"])
    np.save(tmp_path / "calib.npy", x[:32])
    np.save(tmp_path / "eval.npy", x[32:48])
    args = ["--input-shape", "image:1,1,28,28", "--calib", str(tmp_path / "calib.npy")]
    assert main(["quantize", str(demo.MODEL)] + args) == 0
    assert main(["analyze", str(demo.MODEL)] + args + ["--inputs", str(tmp_path / "eval.npy"),
                                                      "--json", str(tmp_path / "r.json")]) == 0
    rep = _check_report(tmp_path / "r.json", min_rows=8)
    assert rep["outputs"]["logits"]["top1_agreement"] >= 0.9       # real digits, real model


@pytest.mark.slow
def test_efficientnet_lite0(efficientnet, tmp_path, capsys):
    path, mean, std, crops, to_nchw = efficientnet
    np.save(tmp_path / "calib.npy", to_nchw(crops(8, 1), mean, std))
    np.save(tmp_path / "eval.npy", to_nchw(crops(4, 2), mean, std))
    assert main(["quantize", str(path), "--calib", str(tmp_path / "calib.npy")]) == 0
    assert main(["analyze", str(path), "--calib", str(tmp_path / "calib.npy"), "--inputs",
                 str(tmp_path / "eval.npy"), "--json", str(tmp_path / "r.json")]) == 0
    rep = _check_report(tmp_path / "r.json", min_rows=60)
    assert rep["outputs"]["logits"]["mean_cosine"] > 0.98
    # the worst single layer is named, in the user's node names
    assert "layers losing the most on their own" in capsys.readouterr().out
