"""``npukit convert`` / ``npukit run`` / the .npk half of ``npukit info`` end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest

from npukit import demo
from npukit.analysis.npk_info import describe_npk, format_npk_info
from npukit.cli import cmd_convert, cmd_run
from npukit.cli import main as cli_main
from npukit.npk import generate_key
from npukit.targets.registry import PROFILE_DIR

MODEL = str(demo.MODEL)
PROFILES = PROFILE_DIR


@pytest.fixture(autouse=True)
def _verbs(monkeypatch):
    """Register the verbs whether or not main.py lists them yet."""
    base = cli_main._verbs

    def verbs():
        have = base()
        return have + [m for m in (cmd_convert, cmd_run) if m not in have]
    monkeypatch.setattr(cli_main, "_verbs", verbs)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    meta = demo.meta()
    x = demo.heldout().tensors(meta["mean"], meta["std"])
    np.save(d / "calib.npy", x[:10])
    np.save(d / "x.npy", x[:1])
    from PIL import Image
    Image.fromarray(demo.heldout().images[0]).save(d / "digit.png")
    text = (PROFILES / "nvdla-small.toml").read_text()        # a chip without Flatten
    (d / "nvdla-small.toml").write_text(text.replace('"Flatten", ', ""))
    return d


def _convert(files, out, *extra):
    return cli_main.main(["convert", MODEL, "--target", "rk3588", "--calib",
                          str(files / "calib.npy"), "--mean", str(demo.meta()["mean"]),
                          "--std", str(demo.meta()["std"]), "-o", str(out),
                          *([] if "--shapes" in extra else ["--input-shape", "image:1,1,28,28"]),
                          *extra])


def test_convert_run_info(files, tmp_path, capsys):
    out = tmp_path / "m.npk"
    assert _convert(files, out, "--cpu", "/Flatten",
                    "--shapes", "image:1,1,28,28;image:2,1,28,28") == 0
    text = capsys.readouterr().out
    assert text.index("placement on rk3588") < text.index("wrote")
    assert "forced onto the CPU by the user" in text and "segments:" in text
    assert cli_main.main(["run", str(out), "--input", f"image={files / 'x.npy'}",
                          "--output", str(tmp_path / "o.npz"), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["logits"]["shape"] == [1, 10]
    with np.load(tmp_path / "o.npz") as z:
        assert np.allclose(z["logits"], got["logits"]["values"])
    assert cli_main.main(["run", str(out), "--input", str(files / "digit.png")]) == 0
    from_image = capsys.readouterr().out          # decoded + normalised as at convert time
    assert cli_main.main(["run", str(out), "--input", str(files / "x.npy")]) == 0
    assert capsys.readouterr().out == from_image and "logits: float32 [1, 10]" in from_image
    info = describe_npk(out)
    assert info["target"] == "rk3588" and len(info["shapes"]) == 2
    assert "image=2x1x28x28" in format_npk_info(info)


def test_never_overwrites_without_force(files, tmp_path, capsys):
    out = tmp_path / "m.npk"
    out.write_bytes(b"x")
    assert _convert(files, out) == 1
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == b"x"
    assert _convert(files, out, "--force", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["target"] == "rk3588" and doc["placement"]["nodes"]
    o = tmp_path / "o.npz"
    o.write_bytes(b"y")
    assert cli_main.main(["run", str(out), "--input", str(files / "x.npy"),
                          "--output", str(o)]) == 1
    assert o.read_bytes() == b"y"


@pytest.mark.parametrize("extra, message", [
    (["--npu", "/Flatten", "--target", "PROFILE"], "cannot be forced"),
    (["--cpu", "/Flaten"], "did you mean '/Flatten'"),
    (["--target", "rk9999"], "built-in targets are"),
    (["--shapes", "image:1,x"], "not NAME:D0,D1"),
])
def test_failed_convert_leaves_no_file(files, tmp_path, capsys, extra, message):
    out = tmp_path / "m.npk"
    extra = [str(files / "nvdla-small.toml") if e == "PROFILE" else e for e in extra]
    assert _convert(files, out, *extra) == 1
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_encrypted_convert_and_run(files, tmp_path, capsys):
    keyfile = tmp_path / "k.key"
    keyfile.write_bytes(generate_key())
    out = tmp_path / "e.npk"
    assert _convert(files, out, "--key", str(keyfile)) == 0
    capsys.readouterr()
    assert cli_main.main(["run", str(out), "--input", str(files / "x.npy")]) == 1
    assert "key" in capsys.readouterr().err
    assert cli_main.main(["run", str(out), "--input", str(files / "x.npy"),
                          "--key", str(keyfile)]) == 0
    assert describe_npk(out, key=str(keyfile))["encrypted"] is True


def test_run_bad_input(files, tmp_path, capsys):
    out = tmp_path / "m.npk"
    assert _convert(files, out) == 0
    capsys.readouterr()
    assert cli_main.main(["run", str(out), "--input", f"img={files / 'x.npy'}"]) == 1
    assert "no such input" in capsys.readouterr().err
    np.save(tmp_path / "bad.npy", np.zeros((1, 28, 28), np.float32))
    assert cli_main.main(["run", str(out), "--input", str(tmp_path / "bad.npy")]) == 1
    assert "expects [1, 1, 28, 28]" in capsys.readouterr().err


def test_parse_shapes():
    assert cmd_convert.parse_shapes(["a:1,3;b:2", "a:4,3;b:2;a:5,3;b:1"]) == [
        {"a": [1, 3], "b": [2]}, {"a": [4, 3], "b": [2]}, {"a": [5, 3], "b": [1]}]


def test_convert_with_auto_mixed_precision(files, tmp_path, capsys):
    """`convert --mixed auto` searches to the budget on --mixed-inputs, then compiles the
    raised model; without a budget it is a clear error and no file is written."""
    out = tmp_path / "mixed.npk"
    assert _convert(files, out, "--mixed", "auto") == 1
    assert "needs a budget" in capsys.readouterr().err and not out.exists()
    assert _convert(files, out, "--mixed", "auto", "--budget-cosine", "0.9999999",
                    "--mixed-inputs", str(files / "calib.npy")) == 0
    text = capsys.readouterr().out
    assert "auto mixed precision: raised" in text and text.index("raised") < \
        text.index("placement on rk3588")
    raised = [ln.split(":")[0].strip() for ln in text.split("raised", 1)[1].splitlines()[1:]
              if ln.startswith("  /")]
    assert raised, text
    info = describe_npk(out)
    assert info["target"] == "rk3588"
