"""Runtime API: sync, async, raw codes, pre-quantized feeds, zero-copy, shapes, validation."""

from __future__ import annotations

import numpy as np
import pytest
from compiler.models import demo_inputs, demo_model, small_inputs

from npukit.compiler import compile_model
from npukit.errors import InputError, NpukitError
from npukit.runtime import Runtime, SimSession, list_devices, register_device, unregister_device
from npukit.sim.program_executor import ProgramExecutor


def test_signature(demo_npk):
    with Runtime(demo_npk.path) as rt:
        (i,), (o,) = rt.inputs, rt.outputs
        assert (i.name, i.shape, i.dtype, i.layout) == ("image", (1, 1, 28, 28), "float32",
                                                         "NCHW")
        assert i.quant is not None and i.quant.dtype == "int8" and i.quant_name == "image@q"
        assert (o.name, o.shape) == ("logits", (1, 10))
        assert rt.shapes == ["image=1x1x28x28", "image=2x1x28x28"] and rt.target == "rk3588"


def test_run_dict_and_list_and_async(demo_npk):
    x = demo_inputs(1)[0]
    want = ProgramExecutor(demo_npk.program).run({"image": x})["logits"]
    with Runtime(demo_npk.path) as rt:
        assert np.array_equal(rt.run({"image": x})["logits"], want)
        assert np.array_equal(rt.run([x])["logits"], want)
        futs = [rt.run_async({"image": x}) for _ in range(4)]
        assert all(np.array_equal(f.result(timeout=30)["logits"], want) for f in futs)


def test_raw_outputs_and_prequantized_inputs(demo_npk):
    x = demo_inputs(1)[0]
    ex = ProgramExecutor(demo_npk.program)
    ref = ex.run({"image": x}, keep=["image@q", "logits@q"])
    with Runtime(demo_npk.path) as rt:
        raw = rt.run({"image": x}, raw=True)["logits"]
        assert raw.dtype == np.int8 and np.array_equal(raw, ref["logits@q"])
        codes = ref["image@q"]
        assert codes.dtype == np.int8
        assert np.array_equal(rt.run({"image": codes})["logits"], ref["logits"])
        q = rt.outputs[0].quant
        deq = (raw.astype(np.float32) - q.zero_point[0]) * q.scale[0]
        assert np.allclose(deq, ref["logits"])


def test_float64_is_cast(demo_npk):
    x = demo_inputs(1)[0]
    with Runtime(demo_npk.path) as rt:
        assert np.array_equal(rt.run({"image": x.astype(np.float64)})["logits"],
                              rt.run({"image": x})["logits"])


class _Spy(SimSession):
    seen: list = []

    def run(self, feeds, keep=()):
        _Spy.seen.append(dict(feeds))
        return super().run(feeds, keep)


def test_zero_copy_buffers_reach_the_engine_uncopied(demo_npk):
    register_device("spy", _Spy, replace=True)
    try:
        x = demo_inputs(1)[0]
        with Runtime(demo_npk.path, device="spy") as rt:
            buf = rt.input_buffer("image")
            assert buf.shape == (1, 1, 28, 28) and buf.dtype == np.float32
            buf[...] = x
            out = rt.run_buffers()["logits"]
            assert _Spy.seen[-1]["image"] is buf
            assert np.array_equal(out, ProgramExecutor(demo_npk.program).run(
                {"image": x})["logits"])
            qbuf = rt.input_buffer("image", quantized=True)
            assert qbuf.dtype == np.int8
            rt.run_buffers()
            assert _Spy.seen[-1]["image@q"] is qbuf
            big = rt.input_buffer("image", shape="image=2x1x28x28")
            big[...] = np.concatenate([x, x])
            assert rt.run_buffers()["logits"].shape == (2, 10)
    finally:
        unregister_device("spy")


def test_multi_shape_selection_and_batch(demo_npk):
    xs = demo_inputs(2)
    x2 = np.concatenate(xs)
    with Runtime(demo_npk.path) as rt:
        out2 = rt.run({"image": x2})["logits"]
        assert out2.shape == (2, 10)
        want = ProgramExecutor(demo_npk.programs["image=2x1x28x28"]).run({"image": x2})
        assert np.array_equal(out2, want["logits"])
        with pytest.raises(InputError, match=r"(?s)none of the compiled shapes.*"
                           r"image=1x1x28x28.*image=2x1x28x28"):
            rt.run({"image": np.zeros((3, 1, 28, 28), np.float32)})


def test_two_models_at_once(demo_npk, small_npk):
    x, s = demo_inputs(1)[0], small_inputs(1)[0]
    with Runtime(demo_npk.path) as a, Runtime(small_npk.path) as b:
        fa = [a.run_async({"image": x}) for _ in range(3)]
        fb = [b.run_async({"x": s}) for _ in range(3)]
        wa = ProgramExecutor(demo_npk.program).run({"image": x})["logits"]
        wb = ProgramExecutor(small_npk.program).run({"x": s})["y"]
        assert all(np.array_equal(f.result()["logits"], wa) for f in fa)
        assert all(np.array_equal(f.result()["y"], wb) for f in fb)


@pytest.mark.parametrize("feeds, match", [
    ({"imag": np.zeros((1, 1, 28, 28), np.float32)}, r"(?s)no input 'imag'.*'image'"),
    ({}, r"missing input\(s\) \['image'\]"),
    ({"image": np.zeros((1, 28, 28), np.float32)}, r"none of the compiled shapes"),
    ({"image": np.zeros((1, 1, 28, 28), np.int64)}, r"'image' must be float32, or int8 "
     r"pre-quantized codes; got int64"),
    ({"image": np.zeros((1, 1, 28, 28), np.uint8)}, r"got uint8"),
    ({"image": "abc"}, r"'image' is not a numeric array"),
])
def test_bad_inputs(demo_npk, feeds, match):
    with Runtime(demo_npk.path) as rt, pytest.raises(InputError, match=match):
        rt.run(feeds)


def test_bad_shape_single_shape_model(small_npk):
    with Runtime(small_npk.path) as rt, pytest.raises(
            InputError, match=r"'x' has shape \[1, 3, 8, 9\], the model expects \[1, 3, 8, 8\]"):
        rt.run({"x": np.zeros((1, 3, 8, 9), np.float32)})
    with Runtime(small_npk.path) as rt, pytest.raises(InputError, match="takes 1"):
        rt.run([np.zeros((1, 3, 8, 8), np.float32)] * 2)


def test_nhwc_input_when_declared(tmp_path, small_npk):
    from compiler.models import small_model
    res = compile_model(small_model(), "rk3588", tmp_path / "nhwc.npk", layouts={"x": "NHWC"})
    s = small_inputs(1)[0]
    with Runtime(res.path) as rt:
        assert rt.inputs[0].layout == "NHWC" and rt.inputs[0].shape == (1, 8, 8, 3)
        got = rt.run({"x": s.transpose(0, 2, 3, 1)})["y"]
    assert np.array_equal(got, ProgramExecutor(small_npk.program).run({"x": s})["y"])


def test_release_and_context_manager(demo_npk):
    rt = Runtime(demo_npk.path)
    rt.run_async({"image": demo_inputs(1)[0]}).result()
    rt.release()
    rt.release()                                   # idempotent
    with pytest.raises(NpukitError, match="released"):
        rt.run({"image": demo_inputs(1)[0]})


def test_device_registry():
    assert "sim" in list_devices()
    with pytest.raises(NpukitError, match="unknown device 'npu0'.*sim"):
        Runtime("whatever.npk", device="npu0")
    with pytest.raises(NpukitError, match="already registered"):
        register_device("sim", SimSession)


def test_compiler_and_runtime_agree_with_quantized_model_on_demo(demo_npk):
    """Target rounding equals the quant config's here, so qmodel.run matches too."""
    x = demo_inputs(1)[0]
    with Runtime(demo_npk.path) as rt:
        assert np.array_equal(rt.run({"image": x})["logits"], demo_model().run({"image": x})
                              ["logits"])
