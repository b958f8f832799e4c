"""compile_model → .npk → Runtime is bit-exact against the in-memory program, on every target."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.models import demo_inputs, demo_model, small_inputs, small_model
from npukit import __version__
from npukit.compiler import MODEL_VERSION, compile_model
from npukit.errors import NpukitError, ShapeError
from npukit.npk import NpkExistsError, read_npk
from npukit.program import Program
from npukit.runtime import MODEL_VERSIONS, Runtime
from npukit.sim.program_executor import ProgramExecutor
from npukit.targets import list_targets

MODELS = {"demo": (demo_model, demo_inputs, "image"), "small": (small_model, small_inputs, "x")}


@pytest.mark.parametrize("target", list_targets())
@pytest.mark.parametrize("model", sorted(MODELS))
def test_round_trip_bit_exact(tmp_path, target, model):
    make, inputs, name = MODELS[model]
    res = compile_model(make(), target, tmp_path / "m.npk")
    ex = ProgramExecutor(res.program)
    with Runtime(res.path) as rt:
        for x in inputs(3):
            want = ex.run({name: x})
            got = rt.run({name: x})
            assert got.keys() == want.keys()
            for k in want:
                assert got[k].dtype == want[k].dtype
                assert np.array_equal(got[k], want[k]), (target, model, k)


def test_program_json_round_trip_equals_in_memory(tmp_path):
    res = compile_model(small_model(), "rk3588", tmp_path / "m.npk")
    npk = read_npk(res.path)
    key = res.shapes[0]
    d = npk.manifest["programs"][key]
    tensors = {n: npk.tensors[s] for n, s in d["tensors"].items()}
    back = Program.from_json(d["program"], tensors)
    assert back.to_json() == res.program.to_json()
    for k, t in res.program.tensors().items():
        assert np.array_equal(back.tensors()[k], t) and back.tensors()[k].dtype == t.dtype


def test_manifest_contents(tmp_path):
    res = compile_model(demo_model(), "rk3588", tmp_path / "m.npk", cpu=["/Flatten"])
    m = read_npk(res.path).manifest
    assert m["target"] == "rk3588" and m["npukit_version"] == __version__
    assert m["model"]["version"] == MODEL_VERSION and MODEL_VERSION in MODEL_VERSIONS
    key = m["model"]["default_shape"]
    assert key == "image=1x1x28x28" and m["model"]["shapes"] == [key]
    prog = m["programs"][key]
    assert prog["memory_plan"]["arena_bytes"] >= prog["memory_plan"]["lower_bound"]
    (inp,), (out,) = m["io"]["inputs"], m["io"]["outputs"]
    assert inp["name"] == "image" and inp["shape"] == [1, 1, 28, 28]
    assert inp["layout"] == "NCHW" and inp["dtype"] == "float32"
    assert inp["quant"]["dtype"] == "int8" and out["name"] == "logits"
    rows = {n["node"]: n for n in m["placement"][key]["nodes"]}
    assert rows["/Flatten"]["engine"] == "cpu" and rows["/Flatten"]["by"] == "user"
    assert m["compiler"]["rounding"] == "half_away_from_zero"


def test_existing_file_needs_force(tmp_path):
    out = tmp_path / "m.npk"
    out.write_bytes(b"keep me")
    with pytest.raises(NpkExistsError):
        compile_model(demo_model(), "rk3588", out)
    assert out.read_bytes() == b"keep me"
    compile_model(demo_model(), "rk3588", out, force=True)
    assert read_npk(out).target == "rk3588"


@pytest.mark.parametrize("kwargs, error", [
    ({"npu": ["soft1"]}, "cannot be forced"),
    ({"cpu": ["nope"]}, "neither a node name"),
    ({"shapes": [{"y": [1, 3, 8, 8]}]}, "not an input"),
])
def test_failed_compile_leaves_no_file(tmp_path, kwargs, error):
    out = tmp_path / "m.npk"
    with pytest.raises(NpukitError, match=error):
        compile_model(small_model(), "nvdla-small", out, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_unknown_target_lists_valid(tmp_path):
    with pytest.raises(NpukitError, match="rk3588") as e:
        compile_model(demo_model(), "rk9999", tmp_path / "m.npk")
    assert "built-in targets" in str(e.value)
    assert list(tmp_path.iterdir()) == []


def test_multi_shape_programs_share_weights(tmp_path):
    shapes = [{"image": [1, 1, 28, 28]}, {"image": [2, 1, 28, 28]}, {"image": [4, 1, 28, 28]}]
    res = compile_model(demo_model(), "rk3588", tmp_path / "m.npk", shapes=shapes)
    assert res.shapes == ["image=1x1x28x28", "image=2x1x28x28", "image=4x1x28x28"]
    assert res.programs["image=4x1x28x28"].values["logits"].shape == (4, 10)
    npk = read_npk(res.path)
    one = len(res.program.tensors())
    assert len(npk.tensors) == one                 # identical weights stored once
    assert res.plans["image=4x1x28x28"].arena_bytes > res.plan.arena_bytes


def test_batch_limit_moves_nodes_per_shape(tmp_path):
    shapes = [{"image": [1, 1, 28, 28]}, {"image": [2, 1, 28, 28]}]
    res = compile_model(demo_model(), "v853", tmp_path / "m.npk", shapes=shapes)
    one, two = (res.placements[k] for k in res.shapes)
    assert one.counts()["npu"] > 0
    assert two.counts()["npu"] == 0
    assert all("batch 2" in n.reason for n in two.nodes)


def test_bad_shapes(tmp_path):
    with pytest.raises(ShapeError, match="listed twice"):
        compile_model(demo_model(), "rk3588", tmp_path / "m.npk",
                      shapes=[{"image": [1, 1, 28, 28]}, {"image": [1, 1, 28, 28]}])
    with pytest.raises(ShapeError, match="no shape given"):
        compile_model(small_model(), "rk3588", tmp_path / "m.npk", shapes=[{}])
