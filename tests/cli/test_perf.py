"""``npukit perf``: text, JSON, CSV, chart, --compare, .npk and the bad-input errors."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from npukit.cli import cmd_perf
from npukit.cli import main as cli_main
from npukit.errors import NpukitError
from npukit.npk import write_npk

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests" / "cost"))


@pytest.fixture(autouse=True)
def _verbs(monkeypatch):
    base = cli_main._verbs
    monkeypatch.setattr(cli_main, "_verbs",
                        lambda: base() + ([cmd_perf] if cmd_perf not in base() else []))


def _onnx(path: Path, batch: int | str = 1) -> Path:
    w = numpy_helper.from_array(np.ones((16, 8, 3, 3), np.float32), "w")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["y"], name="relu")]
    g = helper.make_graph(nodes, "small",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                         [batch, 8, 16, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


def _args(model: Path, **kw) -> argparse.Namespace:
    base = dict(model=str(model), target="rk3588", compare="", input_shape=[], dtype="int8",
                cores=1, sram=False, top=None, json=False, csv=None, chart=None, force=False)
    base.update(kw)
    return argparse.Namespace(**base)


def test_text_report(tmp_path, capsys):
    assert cli_main.main(["perf", str(_onnx(tmp_path / "m.onnx")), "--target", "rk3588"]) == 0
    out = capsys.readouterr().out
    assert "assumes NPU 1000 MHz" in out and "conv" in out and "FPS" in out


def test_json_csv_chart_and_compare(tmp_path, capsys):
    m = _onnx(tmp_path / "m.onnx")
    args = _args(m, compare="rk3566,nvdla-full", json=True, csv=str(tmp_path / "r.csv"),
                 chart=str(tmp_path / "r.html"))
    assert cmd_perf.run(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["target"] for r in data["reports"]] == ["rk3588", "rk3566", "nvdla-full"]
    assert (tmp_path / "r.csv").read_text().startswith("target,name,")
    assert "<svg" in (tmp_path / "r.html").read_text()
    assert cmd_perf.run(_args(m, compare="rk3566")) == 0
    assert "across targets" in capsys.readouterr().out


def test_dynamic_input_is_named_and_fixed_by_input_shape(tmp_path, capsys):
    m = _onnx(tmp_path / "d.onnx", batch="N")
    assert cli_main.main(["perf", str(m), "-t", "rk3588"]) == 1
    assert "input x" in capsys.readouterr().err
    assert cli_main.main(["perf", str(m), "-t", "rk3588", "--input-shape", "x:1,8,16,16"]) == 0


def test_profile_missing_a_field_is_named(tmp_path, capsys):
    text = (ROOT / "npukit/targets/profiles/rk3588.toml").read_text()
    text = text.replace("gemm = 0.462, ", "").replace('name = "rk3588"', 'name = "mine"')
    bad = tmp_path / "mine.toml"
    bad.write_text(text)
    m = _onnx(tmp_path / "g.onnx")
    gemm = helper.make_node("Gemm", ["a", "b"], ["o"], name="fc")
    g = helper.make_graph([gemm], "fc", [helper.make_tensor_value_info(
        "a", TensorProto.FLOAT, [1, 64])], [helper.make_tensor_value_info(
            "o", TensorProto.FLOAT, None)], [numpy_helper.from_array(
                np.ones((64, 10), np.float32), "b")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), m)
    assert cli_main.main(["perf", str(m), "-t", str(bad)]) == 1
    assert "npu.efficiency.gemm" in capsys.readouterr().err


def test_npk_for_another_target_needs_force(tmp_path, capsys):
    from costkit import small_program
    prog = small_program()
    path = tmp_path / "m.npk"
    write_npk(path, {"target": "rk3566", "program": prog.to_json()}, prog.tensors())
    with pytest.raises(NpukitError, match="compiled for 'rk3566'"):
        cmd_perf.run(_args(path))
    assert cmd_perf.run(_args(path, force=True)) == 0
    assert "user_conv" in capsys.readouterr().out
    assert cmd_perf.run(_args(path, target="rk3566")) == 0


def test_estimate_stage_is_fast():
    import cost_zoo

    from npukit.cost import estimate
    from npukit.frontends.onnx import import_model
    from npukit.passes import optimize
    g, _ = optimize(import_model(cost_zoo.model_path("mobilenet_v2")))
    t0 = time.perf_counter()
    estimate(g, "rk3588").format()
    assert time.perf_counter() - t0 < 1.0          # pure arithmetic per layer


def test_bad_options_are_named(tmp_path):
    m = _onnx(tmp_path / "m.onnx")
    with pytest.raises(NpukitError, match="--dtype 'int7'"):
        cmd_perf.run(_args(m, dtype="int7"))
    with pytest.raises(NpukitError, match="--cores 0"):
        cmd_perf.run(_args(m, cores=0))
