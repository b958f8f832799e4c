"""Integer ConvTranspose: fast kernel == scatter reference to the bit; a quantized
model runs it on the NPU and stays close to ONNX Runtime's float result."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper
from qhelpers import quantize_by_hand, run_both

from npukit.ir import QuantParams, parse_graph
from npukit.ops import infer_graph


def _ints(v):
    return "[" + ", ".join(str(int(i)) for i in v) + "]"


def deconv_graph(n, cin, mg, sp, k, group, stride, pads, dil, out_pad, auto_pad, bias):
    nsp = len(sp)
    shape = ",".join(str(s) for s in sp)
    kern = ",".join(str(k) for _ in range(nsp))
    attrs = [f"group={group}", f"strides={_ints(stride)}", f"dilations={_ints(dil)}",
             f"output_padding={_ints(out_pad)}"]
    attrs.append(f'auto_pad="{auto_pad}"' if auto_pad else f"pads={_ints(pads)}")
    b = f"\n      const b: f32[{mg * group}] = randn" if bias else ""
    args = "x, w, b" if bias else "x, w"
    return parse_graph(f'''graph d opset 21 {{
      input x: f32[{n},{cin},{shape}]
      const w: f32[{cin},{mg},{kern}] = randn{b}
      node up = ConvTranspose({args}) -> (y: ?) {{{", ".join(attrs)}}}
      output y
    }}''')


@st.composite
def deconv_cases(draw):
    nsp = draw(st.sampled_from([1, 2, 2, 2, 3]))
    group = draw(st.sampled_from([1, 1, 2, 3]))
    cin = draw(st.integers(1, 3)) * group
    k = draw(st.integers(1, 3))
    stride = [draw(st.integers(1, 3)) for _ in range(nsp)]
    dil = [draw(st.integers(1, 2)) for _ in range(nsp)]
    # ONNX: output_padding must be smaller than the stride or the dilation
    out_pad = [draw(st.integers(0, max(stride[i], dil[i]) - 1)) for i in range(nsp)]
    auto_pad = draw(st.sampled_from(["", "", "", "SAME_UPPER", "SAME_LOWER", "VALID"]))
    pads = [draw(st.integers(0, k - 1)) for _ in range(2 * nsp)]
    side = 4 if nsp == 3 else 6
    sp = [draw(st.integers(1, side)) for _ in range(nsp)]
    return dict(n=draw(st.integers(1, 2)), cin=cin, mg=draw(st.integers(1, 3)), sp=sp, k=k,
                group=group, stride=stride, pads=pads, dil=dil, out_pad=out_pad,
                auto_pad=auto_pad, bias=draw(st.booleans()))


def _quantized(case, seed, dtype, wdtype):
    g = deconv_graph(**case)
    infer_graph(g)
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(g.values["x"].shape) * rng.uniform(0.1, 5)).astype(np.float32)
    if dtype == "uint8" and seed % 2:
        x = np.abs(x)                   # zero point 0 as well as the asymmetric one
    return quantize_by_hand(g, {"x": x}, dtype=dtype, wdtype=wdtype), x


@settings(max_examples=80, deadline=None, derandomize=True)
@given(case=deconv_cases(), seed=st.integers(0, 2**16),
       dtype=st.sampled_from(["int8", "uint8", "int16"]),
       wdtype=st.sampled_from(["int8", "int8", "int4"]),
       rounding=st.sampled_from(["half_away_from_zero", "half_to_even", "half_up"]))
def test_conv_transpose_fast_equals_reference(case, seed, dtype, wdtype, rounding):
    q, x = _quantized(case, seed, dtype, wdtype)
    prog, fast, ref = run_both(q, {"x": x}, rounding)
    assert [r.kernel for r in prog.records] == ["Quantize", "ConvTranspose", "Dequantize"]
    assert fast["y@q"].dtype == ref["y@q"].dtype
    assert fast["y@q"].shape == tuple(q.values["y"].shape)
    np.testing.assert_array_equal(fast["y@q"], ref["y@q"])


def test_conv_transpose_ties_round_by_the_mode():
    """Build an accumulator that lands exactly on half an output step: the three
    modes must then differ, and fast must still equal reference in each."""
    g = deconv_graph(1, 1, 1, [3, 3], 2, 1, [2, 2], [0] * 4, [1, 1], [0, 0], "", False)
    infer_graph(g)
    x = np.array([[[[1.0, -1.0, 3.0], [-3.0, 5.0, 0.0], [2.0, -2.0, 1.0]]]], np.float32)
    q = quantize_by_hand(g, {"x": x})
    q.values["x"].quant = QuantParams("int8", np.array([1.0]), np.array([0]))
    q.values["w"].quant = QuantParams("int8", np.array([1.0]), np.array([0]), 1)
    q.values["w"].const = np.ones((1, 1, 2, 2), np.float32)
    q.values["y"].quant = QuantParams("int8", np.array([2.0]), np.array([0]))
    got = {}
    for mode in ("half_away_from_zero", "half_to_even", "half_up"):
        _, fast, ref = run_both(q, {"x": x}, mode)
        np.testing.assert_array_equal(fast["y@q"], ref["y@q"])
        got[mode] = fast["y@q"][0, 0, 0, ::2].tolist()   # x00/2, x01/2, x02/2: ±0.5, 1.5
    assert got["half_away_from_zero"] == [1, -1, 2]
    assert got["half_to_even"] == [0, 0, 2]
    assert got["half_up"] == [1, 0, 2]


def test_grouped_scales_are_shared_across_groups():
    """Per-channel weights along axis 1 give M/g scales; each group reuses them."""
    from npukit.ops.conv_transpose_int import output_channel_scales
    q = QuantParams("int8", np.array([0.1, 0.2, 0.3]), np.zeros(3, np.int64), 1)
    np.testing.assert_allclose(output_channel_scales(q, (4, 3, 2, 2), 2),
                               [0.1, 0.2, 0.3, 0.1, 0.2, 0.3])
    bad = QuantParams("int8", np.ones(4), np.zeros(4, np.int64), 0)
    assert "axis 0" in output_channel_scales(bad, (4, 3, 2, 2), 2)


def _deconv_model() -> onnx.ModelProto:
    """Conv → Relu → ConvTranspose (stride 2, output_padding) → Relu → ConvTranspose."""
    rng = np.random.default_rng(3)

    def w(name, *shape, s=0.3):
        return numpy_helper.from_array((rng.standard_normal(shape) * s).astype(np.float32), name)
    inits = [w("w0", 8, 3, 3, 3), w("b0", 8, s=0.1), w("w1", 8, 6, 4, 4, s=0.15),
             w("b1", 6, s=0.1), w("w2", 6, 2, 3, 3, s=0.2)]
    nodes = [helper.make_node("Conv", ["x", "w0", "b0"], ["c"], pads=[1] * 4),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("ConvTranspose", ["r", "w1", "b1"], ["u"], strides=[2, 2],
                              pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["u"], ["ur"]),
             helper.make_node("ConvTranspose", ["ur", "w2"], ["y"], strides=[2, 2],
                              group=2, pads=[1, 1, 0, 0], output_padding=[1, 1])]
    graph = helper.make_graph(
        nodes, "deconv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("rounding", ["half_away_from_zero", "half_to_even"])
def test_quantized_model_runs_conv_transpose_on_the_npu(rounding):
    from npukit.frontends.onnx import import_model
    from npukit.quant.config import QuantConfig
    from npukit.quant.quantizer import quantize
    model = _deconv_model()
    rng = np.random.default_rng(0)
    calib = [{"x": rng.standard_normal((1, 3, 8, 8)).astype(np.float32)} for _ in range(16)]
    evals = [rng.standard_normal((1, 3, 8, 8)).astype(np.float32) for _ in range(4)]
    qm = quantize(import_model(model), calib, QuantConfig(rounding=rounding),
                  show_progress=False)
    deconv = [r for r in qm.program.records if r.kernel == "ConvTranspose"]
    assert len(deconv) == 2 and all(r.engine == "npu" for r in deconv)
    assert not [r for r in qm.program.records if r.engine == "cpu"
                and r.kernel not in ("Quantize", "Dequantize")]
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    step = float(qm.graph.values["y"].quant.scale[0])
    for x in evals:
        want = sess.run(None, {"x": x})[0]
        got = qm.run({"x": x})["y"]
        assert got.shape == want.shape == (1, 4, 33, 33)
        cos = float((want * got).sum() / np.linalg.norm(want) / np.linalg.norm(got))
        assert cos > 0.995, cos
        assert np.abs(got - want).mean() < 2 * step
