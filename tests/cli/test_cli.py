"""The command line: version, info on every light model (text and JSON), errors without
tracebacks and with non-zero exit codes."""

import json
import subprocess
import sys

import pytest

from npukit import __version__
from npukit.cli.main import main
from npukit.frontends.onnx.zoo import light_model_path, light_models

LIGHT_MODELS = light_models()


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and __version__ in capsys.readouterr().out


def test_python_dash_m_works():
    r = subprocess.run([sys.executable, "-m", "npukit", "--version"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and __version__ in r.stdout


@pytest.mark.parametrize("name", LIGHT_MODELS)
def test_info_on_light_models(name, capsys):
    path = str(light_model_path(name))
    assert main(["info", path]) == 0
    text = capsys.readouterr().out
    assert "MACs" in text and "optimiser -O3" in text and "heaviest layers" in text
    assert main(["info", path, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["macs"] > 0 and info["parameters"] >= 0 and info["inputs"]
    assert sum(r["macs"] for r in info["layers"]) == info["macs"]
    assert info["optimized"]["nodes"] <= info["nodes"]


@pytest.mark.parametrize("args,needle", [
    (["info", "no/such/model.onnx"], "does not exist"),
    (["info", __file__], "not a readable ONNX model"),
    (["info", "MODEL", "--input-shape", "data=1,2"], "--input-shape"),
    (["targets", "no-such-chip"], "no-such-chip"),
])
def test_errors_are_messages_not_tracebacks(args, needle, capsys):
    args = [str(light_model_path("squeezenet")) if a == "MODEL" else a for a in args]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_unsupported_op_error_names_node(tmp_path, capsys):
    import onnx
    from onnx import helper
    g = helper.make_graph([helper.make_node("Det", ["x"], ["y"], name="my_det")], "g",
                          [helper.make_tensor_value_info("x", 1, [2, 2])],
                          [helper.make_tensor_value_info("y", 1, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
    onnx.save(m, tmp_path / "det.onnx")
    assert main(["info", str(tmp_path / "det.onnx")]) == 1
    err = capsys.readouterr().err
    assert "'Det'" in err and "'my_det'" in err and "Traceback" not in err


def test_quantize_exports_qdq_and_table_without_overwriting(tmp_path, capsys):
    import numpy as np

    from npukit import demo
    meta = demo.meta()
    calib = tmp_path / "calib.npy"
    np.save(calib, demo.calibration().tensors(meta["mean"], meta["std"])[:16])
    qdq, table = tmp_path / "q.onnx", tmp_path / "t.json"
    args = ["quantize", str(demo.MODEL), "--input-shape", "image:1,1,28,28", "--calib",
            str(calib), "--export-qdq", str(qdq), "--save-table", str(table)]
    assert main(args) == 0
    assert "integer kernels" in capsys.readouterr().out
    assert qdq.stat().st_size > 0 and table.stat().st_size > 0
    before = qdq.read_bytes()
    assert main(args) == 1
    assert "--force" in capsys.readouterr().err and qdq.read_bytes() == before


def test_quantize_mixed_override_file_and_auto_budget(tmp_path, capsys):
    import numpy as np

    from npukit import demo
    meta = demo.meta()
    calib = tmp_path / "calib.npy"
    np.save(calib, demo.calibration().tensors(meta["mean"], meta["std"])[:8])
    (tmp_path / "ov.toml").write_text('"/head/Gemm" = "float"\n')
    base = ["quantize", str(demo.MODEL), "--input-shape", "image:1,1,28,28", "--calib",
            str(calib)]
    assert main(base + ["--mixed", str(tmp_path / "ov.toml")]) == 0
    out = capsys.readouterr().out
    assert "7 of 8 nodes run as integer kernels" in out and "/head/Gemm: override" in out
    assert main(base + ["--mixed", "auto"]) == 1
    assert "needs a budget" in capsys.readouterr().err
    assert main(base + ["--mixed", "auto", "--budget-top1", "0.5"]) == 0
    assert "auto mixed precision: raised 0 layer(s)" in capsys.readouterr().out


def test_quantize_with_adaround(tmp_path, capsys):
    import numpy as np

    from npukit import demo
    meta = demo.meta()
    calib = tmp_path / "calib.npy"
    np.save(calib, demo.calibration().tensors(meta["mean"], meta["std"])[:8])
    base = ["quantize", str(demo.MODEL), "--input-shape", "image:1,1,28,28", "--calib",
            str(calib), "--adaround", "--adaround-iters", "50"]
    assert main(base) == 0
    out = capsys.readouterr().out
    assert "AdaRound: " in out and "of weight codes differ from nearest rounding" in out
    assert main(base + ["--adaround-samples", "4", "--json"]) == 0
    cfg = json.loads(capsys.readouterr().out)["config"]
    assert cfg["adaround"] and cfg["adaround_iters"] == 50 and cfg["adaround_samples"] == 4
    for bad, needle in ((base[:-1] + ["0"], "adaround_iters"),
                        ([a for a in base if a != "--adaround"], "add --adaround")):
        assert main(bad) == 1
        err = capsys.readouterr().err
        assert needle in err and "Traceback" not in err
