"""``npukit convert --aipp``, ``npukit run`` with raw frames or images, ``npukit info``."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from compiler.aipp_models import GRAY, digit_images

from npukit import demo
from npukit.cli import main as cli_main
from npukit.preprocess import to_atc, to_dict, to_toml
from npukit.runtime import Runtime

MODEL = str(demo.MODEL)
DYN = "aipp_op {\n  aipp_mode : dynamic\n  max_src_image_size : 4096\n}\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from PIL import Image
    d = tmp_path_factory.mktemp("aipp_cli")
    (d / "calib").mkdir()
    for i, im in enumerate(digit_images(12)):
        Image.fromarray(im).save(d / "calib" / f"{i:02d}.png")
    digit = digit_images(1, heldout=True)[0]
    Image.fromarray(digit).save(d / "digit.png")
    digit[..., 0].tofile(d / "digit.gray")                 # what a grey camera delivers
    np.save(d / "frame.npy", digit[..., 0])
    digit[:50, :, 0].tofile(d / "short.gray")
    (d / "gray.cfg").write_text("# grey camera, 56x56\n" + to_atc(GRAY))
    (d / "gray.toml").write_text(to_toml(GRAY))
    (d / "dyn.cfg").write_text(DYN)
    (d / "bad.cfg").write_text(to_atc(GRAY).replace("resize_mode", "resize_mod"))
    return d


def _convert(files, out, aipp, *extra):
    return cli_main.main(["convert", MODEL, "--input-shape", "image:1,1,28,28", "--target",
                          "rk3588", "--calib", str(files / "calib"), "--aipp", str(aipp),
                          "-o", str(out), *extra])


def _logits(capsys) -> list[float]:
    return json.loads(capsys.readouterr().out)["logits"]["values"]


def test_convert_run_info(files, tmp_path, capsys):
    out = tmp_path / "g.npk"
    assert _convert(files, out, files / "gray.cfg") == 0
    text = capsys.readouterr().out
    assert "AIPP on 'image': takes uint8[1, 56, 56] frames" in text
    assert "resize: nearest to 28x28" in text and text.index("placement") < text.index("AIPP")
    runs = {}
    for f in ("digit.gray", "digit.png", "frame.npy"):
        assert cli_main.main(["run", str(out), "--input", f"image={files / f}", "--json"]) == 0
        runs[f] = _logits(capsys)
    assert runs["digit.gray"] == runs["digit.png"] == runs["frame.npy"]
    with Runtime(out) as rt:                          # the CLI feeds the runtime the frame
        frame = np.fromfile(files / "digit.gray", np.uint8)
        assert np.allclose(rt.run({"image": frame.reshape(56, 56)})["logits"],
                           runs["digit.gray"])
    assert cli_main.main(["info", str(out)]) == 0
    info = capsys.readouterr().out
    assert "image: uint8 [1, 56, 56] YUV400_U8" in info
    assert "AIPP (static) on 'image'" in info and "model input: GRAY [1, 1, 28, 28]" in info
    assert cli_main.main(["info", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["aipp"]["image"]["config"] == to_dict(GRAY)
    assert doc["model_inputs"][0]["shape"] == [1, 1, 28, 28]


def test_toml_and_atc_give_the_same_model(files, tmp_path, capsys):
    from npukit.npk import read_npk
    assert _convert(files, tmp_path / "a.npk", files / "gray.cfg") == 0
    assert _convert(files, tmp_path / "b.npk", files / "gray.toml") == 0
    capsys.readouterr()
    a, b = (read_npk(tmp_path / n).manifest for n in ("a.npk", "b.npk"))
    assert a["aipp"] == b["aipp"] and a["checksum"] == b["checksum"]


@pytest.mark.parametrize("aipp, extra, words", [
    ("bad.cfg", [], "known_fields.*did you mean 'resize_mode'"),
    ("missing.cfg", [], "file.*cannot read AIPP config"),
    ("gray.cfg", ["--mean", "33"], "--mean.*static AIPP"),
])
def test_bad_convert(files, tmp_path, capsys, aipp, extra, words):
    out = tmp_path / "x.npk"
    assert _convert(files, out, files / aipp, *extra) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and re.search(words, err, re.S), err
    assert not out.exists()


def test_bad_run_inputs(files, tmp_path, capsys):
    out = tmp_path / "g.npk"
    assert _convert(files, out, files / "gray.cfg") == 0
    capsys.readouterr()
    assert cli_main.main(["run", str(out), "--input", f"image={files / 'short.gray'}"]) == 1
    err = capsys.readouterr().err
    assert "frame_size" in err and "src_image_size 56x56" in err and "Traceback" not in err
    (tmp_path / "x.txt").write_text("?")
    assert cli_main.main(["run", str(out), "--input", f"image={tmp_path / 'x.txt'}"]) == 1
    assert "expected a raw frame" in capsys.readouterr().err


def test_dynamic_aipp_through_the_cli(files, tmp_path, capsys):
    out = tmp_path / "d.npk"
    # dynamic: the normalisation is set per run, so calibration is the ordinary kind
    assert cli_main.main(["convert", MODEL, "--input-shape", "image:1,1,28,28", "--target",
                          "rk3588", "--calib", str(files / "calib"), "--mean", "33", "--std",
                          "78", "--aipp", str(files / "dyn.cfg"), "-o", str(out)]) == 0
    assert "parameters per run: input 'aipp_params'" in capsys.readouterr().out
    run = ["run", str(out), "--input", f"image={files / 'digit.gray'}", "--json"]
    assert cli_main.main(run) == 1
    assert "dynamic_params_missing" in capsys.readouterr().err
    assert cli_main.main([*run, "--aipp-params", str(files / "gray.cfg")]) == 0
    got = _logits(capsys)
    with Runtime(out) as rt:
        rt.set_aipp(GRAY)
        buf = np.zeros((1, 4096), np.uint8)
        buf[0, :56 * 56] = np.fromfile(files / "digit.gray", np.uint8)
        assert np.allclose(rt.run({"image": buf})["logits"], got)
    assert cli_main.main([*run[:-1], "--aipp-params", str(files / "gray.cfg"),
                          "--aipp-params", str(files / "gray.cfg")]) == 1
    assert "dynamic_batch" in capsys.readouterr().err
