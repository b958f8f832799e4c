"""The runtime with AIPP: raw frames in, integer AIPP codes to the first layer, bit-exact;
static and dynamic parameters, batches, bad frames, older files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
from compiler.models import demo_inputs, demo_model

from npukit.compiler import compile_model
from npukit.errors import InputError
from npukit.ir.quant import QuantParams
from npukit.npk import NpkFormatError
from npukit.preprocess import AippError, AippStage, encode_params, from_dict, to_atc, to_dict
from npukit.preprocess.dynamic import RECORD_BYTES
from npukit.runtime import Runtime
from npukit.sim.lower import int_name
from npukit.sim.program_executor import ProgramExecutor

DATA = Path(__file__).parent / "data"
NV12_B = from_dict({**to_dict(NV12), "src_image_size_w": 24, "src_image_size_h": 16,
                    "crop_size_w": 20, "crop_size_h": 12, "rbuv_swap_switch": True})
RGB_FOR_DYN = from_dict({**to_dict(RGB), "mean_chn_0": 90})


def _reference(res, name: str, stage: AippStage, frames) -> dict[str, np.ndarray]:
    """What the board computes: AippStage.run_int with the stored quantization and
    rounding, then the compiled program fed those codes."""
    entry = res.manifest["aipp"]["inputs"][name]
    q = QuantParams.from_json(entry["quant"])
    codes = stage.run_int(frames, (float(q.scale[0]), int(q.zero_point[0]), q.dtype),
                          entry["rounding"])
    return ProgramExecutor(res.program).run({int_name(name): codes})


@pytest.mark.parametrize("which", ["gray", "nv12", "rgb"])
def test_static_aipp_is_bit_exact(tmp_path, which):
    qm, cfg, name, images = {
        "gray": (demo_gray_model(), GRAY, "image", digit_images(3, heldout=True)),
        "nv12": (small_aipp_model(NV12), NV12, "x", rgb_images(3, 14, 20, seed=5)),
        "rgb": (small_aipp_model(RGB), RGB, "x", rgb_images(3, 8, 8, seed=5)),
    }[which]
    res = compile_model(qm, "rk3588", tmp_path / "m.npk", aipp=cfg)
    with Runtime(res.path) as rt:
        stage = rt.aipp[name]
        (info,) = rt.inputs
        assert (info.name, info.dtype, info.layout) == (name, "uint8", cfg.input_format)
        assert info.shape == stage.input_spec().shape and rt.optional_inputs == []
        for img in images:
            frame = stage.frame_from_image(img)[None]
            got = rt.run({name: frame})
            want = _reference(res, name, stage, frame)
            for k, v in got.items():
                assert np.array_equal(v, want[k]), k
            assert np.array_equal(rt.run({name: frame[0]})[k], v)   # no batch axis


def test_gray_aipp_keeps_the_digits(tmp_path):
    """The demo CNN behind a grey camera classifies as the plain model fed the same
    digits normalised in float."""
    res = compile_model(demo_gray_model(), "rk3588", tmp_path / "g.npk", aipp=GRAY)
    plain = compile_model(demo_model(), "rk3588", tmp_path / "p.npk")
    images = digit_images(40, heldout=True)
    xs = np.concatenate(demo_inputs(40))
    with Runtime(res.path) as a, Runtime(plain.path) as b:
        top_a = [a.run({"image": a.aipp["image"].frame_from_image(im)})["logits"].argmax()
                 for im in images]
        top_b = [b.run({"image": x[None]})["logits"].argmax() for x in xs]
    assert np.mean(np.equal(top_a, top_b)) >= 0.95


def test_static_batch_shares_the_parameters(tmp_path):
    res = compile_model(demo_gray_model(), "rk3588", tmp_path / "g.npk", aipp=GRAY,
                        shapes=[{"image": [1, 1, 28, 28]}, {"image": [2, 1, 28, 28]}])
    with Runtime(res.path) as rt:
        stage = rt.aipp["image"]
        frames = np.stack([stage.frame_from_image(im) for im in digit_images(2, heldout=True)])
        two = rt.run({"image": frames})["logits"]
        assert two.shape == (2, 10)
        for i in range(2):
            assert np.array_equal(two[i], rt.run({"image": frames[i]})["logits"][0])


def test_first_layer_on_the_cpu_gets_the_dequantized_codes(tmp_path):
    """When the input is not read by a Quantize record alone, the AIPP codes are
    dequantized for it: same numbers as the plain model fed those values."""
    qm = small_aipp_model(NV12)
    res = compile_model(qm, "rk3588", tmp_path / "a.npk", aipp=NV12, cpu=["Conv"])
    plain = compile_model(qm, "rk3588", tmp_path / "p.npk", cpu=["Conv"])
    frame = AippStage(NV12).frame_from_image(rgb_images(1, 14, 20, seed=8)[0])
    entry = res.manifest["aipp"]["inputs"]["x"]
    q = QuantParams.from_json(entry["quant"])
    codes = AippStage(NV12).run_int(frame, (float(q.scale[0]), int(q.zero_point[0]), q.dtype),
                                    entry["rounding"])
    x = (codes.astype(np.float32) - q.zero_point[0]) * q.scale[0]
    with Runtime(res.path) as a, Runtime(plain.path) as b:
        assert np.array_equal(a.run({"x": frame})["y"], b.run({"x": x})["y"])


def test_bad_frames(tmp_path):
    res = compile_model(small_aipp_model(NV12), "rk3588", tmp_path / "m.npk", aipp=NV12)
    with Runtime(res.path) as rt:
        with pytest.raises(AippError, match="frame_size.*src_image_size 20x14.*expected"):
            rt.run({"x": np.zeros((1, 30, 20), np.uint8)})
        with pytest.raises(InputError, match="raw uint8 frames.*float32"):
            rt.run({"x": np.zeros((1, 21, 20), np.float32)})
        with pytest.raises(InputError, match="cannot be fed as integer codes"):
            rt.input_buffer("x", quantized=True)
        buf = rt.input_buffer("x")
        assert buf.shape == (1, 21, 20) and buf.dtype == np.uint8
        buf[:] = AippStage(NV12).frame_from_image(rgb_images(1, 14, 20)[0])
        assert np.array_equal(rt.run_buffers()["y"], rt.run({"x": buf.copy()})["y"])


@pytest.fixture(scope="module")
def dyn_npk(tmp_path_factory):
    """small_graph with dynamic AIPP, at batch 1 and 2."""
    out = tmp_path_factory.mktemp("dyn") / "d.npk"
    return compile_model(small_aipp_model(DYNAMIC), "rk3588", out, aipp=DYNAMIC,
                         shapes=[{"x": [1, 3, 8, 8]}, {"x": [2, 3, 8, 8]}])


def _buffer(frames) -> np.ndarray:
    out = np.zeros((len(frames), 600), np.uint8)
    for i, f in enumerate(frames):
        out[i, :f.size] = f.reshape(-1)
    return out


def test_dynamic_inputs_and_missing_parameters(dyn_npk):
    assert dyn_npk.manifest["aipp"]["inputs"]["x"]["params_input"] == "aipp_params"
    with Runtime(dyn_npk.path) as rt:
        assert [(t.name, t.shape, t.layout) for t in rt.inputs] == [
            ("x", (1, 600), "bytes"), ("aipp_params", (1, RECORD_BYTES), "ND")]
        assert rt.optional_inputs == ["aipp_params"]
        with pytest.raises(AippError, match="(?s)dynamic_params_missing.*set_aipp.*aipp_params"):
            rt.run({"x": np.zeros((1, 600), np.uint8)})
        with pytest.raises(AippError, match="dynamic_shape"):
            rt.set_aipp({**to_dict(NV12), "resize_output_w": 4})
        with pytest.raises(AippError, match="dynamic_max_size"):
            rt.set_aipp({**to_dict(NV12), "src_image_size_w": 40, "crop_size_w": 36})
        with pytest.raises(AippError, match="dynamic_fields.*'y'"):
            rt.set_aipp(NV12, input="y")


def test_dynamic_parameters_by_set_aipp_and_by_input(dyn_npk, tmp_path):
    with Runtime(dyn_npk.path) as rt:
        frame = AippStage(NV12).frame_from_image(rgb_images(1, 14, 20, seed=4)[0])
        buf = _buffer([frame])
        (tmp_path / "p.cfg").write_text(to_atc(NV12))
        rt.set_aipp(tmp_path / "p.cfg")                      # an ATC file
        by_set = rt.run({"x": buf})["y"]
        assert rt.aipp["x"].params == (NV12,)
        want = _reference(dyn_npk, "x", AippStage(DYNAMIC, model_hw=(8, 8)).with_dynamic(NV12),
                          buf)
        assert np.array_equal(by_set, want["y"])
        rt.set_aipp(None)
        by_input = rt.run({"x": buf, "aipp_params": encode_params([NV12])})["y"]
        assert np.array_equal(by_input, by_set)
        rt.set_aipp(RGB)                                     # the record wins over set_aipp
        assert np.array_equal(rt.run([buf, encode_params([NV12])])["y"], by_set)
        with pytest.raises(AippError, match="dynamic_record"):
            rt.run({"x": buf, "aipp_params": encode_params([NV12]).view(np.int8)})


def test_dynamic_parameters_differ_per_batch_item(dyn_npk):
    """Two sensors in one batch: an NV21 camera and an RGB one, each item bit-exact."""
    f0 = AippStage(NV12_B).frame_from_image(rgb_images(1, 16, 24, seed=6)[0])
    f1 = AippStage(RGB_FOR_DYN).frame_from_image(rgb_images(1, 8, 8, seed=7)[0])
    buf = _buffer([f0, f1])
    with Runtime(dyn_npk.path) as rt:
        rt.set_aipp([NV12_B, RGB_FOR_DYN])
        both = rt.run({"x": buf})["y"]
        rt.set_aipp(NV12_B)
        one = rt.run({"x": buf[:1]})["y"]
        rt.set_aipp(RGB_FOR_DYN)
        other = rt.run({"x": buf[1:]})["y"]
        record = rt.run({"x": buf, "aipp_params": encode_params([NV12_B, RGB_FOR_DYN])})["y"]
        rt.set_aipp([NV12_B, RGB_FOR_DYN])
        with pytest.raises(AippError, match="dynamic_batch"):
            rt.run({"x": buf[:1]})              # two sets for a batch of one
    assert np.array_equal(both, record)
    assert np.array_equal(both[0], one[0]) and np.array_equal(both[1], other[0])


def test_set_aipp_on_a_static_model(tmp_path):
    res = compile_model(small_aipp_model(RGB), "rk3588", tmp_path / "m.npk", aipp=RGB)
    with Runtime(res.path) as rt, pytest.raises(AippError, match="no input with dynamic"):
        rt.set_aipp(RGB)


def test_version_1_files_still_load():
    """A file written by npukit before AIPP existed (compiled-model layout 1) loads and
    gives the outputs it gave then."""
    want = np.load(DATA / "demo_v1_logits.npy")
    with Runtime(DATA / "demo_v1.npk") as rt:
        assert rt.manifest["model"]["version"] == 1 and rt.aipp == {}
        assert [t.dtype for t in rt.inputs] == ["float32"]
        got = np.concatenate([rt.run({"image": x})["logits"] for x in demo_inputs(8)])
    assert np.array_equal(got, want)


def _rewritten(path: Path, out: Path, edit) -> Path:
    """``path`` written again (valid checksum) after ``edit(manifest)``."""
    from npukit.npk import read_npk, write_npk
    npk = read_npk(path)
    manifest = {k: v for k, v in npk.manifest.items()
                if k not in ("format", "format_version", "npukit_version", "created",
                             "checksum")}
    edit(manifest)
    write_npk(out, manifest, {n: np.asarray(npk.tensors[n]) for n in npk.tensors})
    return out


def test_malformed_aipp_manifests(tmp_path):
    res = compile_model(small_aipp_model(RGB), "rk3588", tmp_path / "m.npk", aipp=RGB)
    gone = _rewritten(res.path, tmp_path / "a.npk", lambda m: m.pop("aipp"))
    with pytest.raises(NpkFormatError, match="layout 2 without its 'aipp' section"):
        Runtime(gone)

    def scale(m):
        m["aipp"]["inputs"]["x"]["quant"]["scale"] = [0.5]
    with pytest.raises(NpkFormatError, match="not in the quantization of the program's input"):
        Runtime(_rewritten(res.path, tmp_path / "b.npk", scale))

    def layout1(m):
        m["model"]["version"] = 1
    with Runtime(_rewritten(res.path, tmp_path / "c.npk", layout1)) as rt:  # layout 1:
        assert rt.aipp == {} and rt.inputs[0].dtype == "float32"  # no aipp section read


SCRIPT = """
import json, sys
import numpy as np
from npukit.runtime import Runtime
with Runtime(sys.argv[1]) as rt:
    rt.run({"x": np.zeros(rt.inputs[0].shape, np.uint8)})
print(json.dumps(sorted(sys.modules)))
"""


def test_aipp_runtime_imports_numpy_only(tmp_path):
    from runtime.test_imports import FORBIDDEN
    res = compile_model(small_aipp_model(NV12), "rk3588", tmp_path / "m.npk", aipp=NV12)
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(res.path)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    mods = json.loads(r.stdout.strip().splitlines()[-1])
    assert [m for m in mods if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)] == []
