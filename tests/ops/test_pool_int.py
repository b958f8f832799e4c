"""Integer pooling: fast == reference to the bit (ties on purpose); close to float."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from qhelpers import quantize_by_hand, run_both

from npukit.ir import QuantParams, parse_graph
from npukit.numerics.quantize import dequantize
from npukit.numerics.saturate import qrange
from npukit.ops import infer_graph
from npukit.sim import FloatExecutor

ROUNDINGS = ["half_away_from_zero", "half_to_even", "half_up"]


def pool_graph(op, shape, attrs=""):
    dims = ",".join(map(str, shape))
    g = parse_graph(f'''graph p opset 21 {{
      input x: f32[{dims}]
      node n = {op}(x) -> (y: ?) {{{attrs}}}
      output y
    }}''')
    infer_graph(g)
    return g


@st.composite
def pool_cases(draw):
    nsp = draw(st.integers(1, 2))
    k = [draw(st.integers(1, 3)) for _ in range(nsp)]
    s = [draw(st.integers(1, 2)) for _ in range(nsp)]
    d = [draw(st.integers(1, 2)) for _ in range(nsp)]
    p = [draw(st.integers(0, k[i] - 1)) for i in range(nsp)] * 2
    size = [draw(st.integers(d[i] * (k[i] - 1) + 1, 7)) for i in range(nsp)]
    attrs = f"kernel_shape={k}, strides={s}, dilations={d}, pads={p}, " \
            f"ceil_mode={draw(st.integers(0, 1))}, count_include_pad={draw(st.integers(0, 1))}"
    return (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *size), attrs


def set_params(g, dtype, zp, s_in, s_out):
    lo, _ = qrange(dtype)
    zp = 0 if dtype == "int16" else zp + 128 if lo == 0 else zp
    g.values["x"].quant = QuantParams.per_tensor(dtype, s_in, zp)
    g.values["y"].quant = QuantParams.per_tensor(dtype, s_out, zp // 2)
    return g.values["x"].quant


@settings(max_examples=40, deadline=None, derandomize=True)
@given(op=st.sampled_from(["MaxPool", "AveragePool", "GlobalMaxPool", "GlobalAveragePool"]),
       case=pool_cases(), dtype=st.sampled_from(["int8", "uint8", "int16"]),
       zp=st.integers(-50, 50), same=st.booleans(),
       s_out=st.sampled_from([0.05, 0.025, 0.1, 0.037]),
       rounding=st.sampled_from(ROUNDINGS), seed=st.integers(0, 999))
def test_fast_equals_reference(op, case, dtype, zp, same, s_out, rounding, seed):
    shape, attrs = case
    g = pool_graph(op, shape, "" if op.startswith("Global") else attrs)
    if op == "MaxPool":
        g.nodes[0].attrs.pop("count_include_pad")
    qx = set_params(g, dtype, zp, 0.05, 0.05 if same else s_out)
    if same:
        g.values["y"].quant = qx
    lo, hi = qrange(dtype)
    codes = np.random.default_rng(seed).integers(lo, hi + 1, shape)
    prog, fast, ref = run_both(g, {"x": dequantize(codes, qx.scale, qx.zero_point)}, rounding)
    assert prog.records[1].engine == "npu", prog.records[1].reason
    assert fast["y@q"].dtype == ref["y@q"].dtype
    np.testing.assert_array_equal(fast["y@q"], ref["y@q"])


@settings(max_examples=25, deadline=None, derandomize=True)
@given(op=st.sampled_from(["MaxPool", "AveragePool", "GlobalMaxPool", "GlobalAveragePool"]),
       case=pool_cases(), dtype=st.sampled_from(["int8", "uint8"]),
       rounding=st.sampled_from(ROUNDINGS), seed=st.integers(0, 999))
def test_close_to_float(op, case, dtype, rounding, seed):
    shape, attrs = case
    g = pool_graph(op, shape, "" if op.startswith("Global") else attrs)
    if op == "MaxPool":
        g.nodes[0].attrs.pop("count_include_pad")
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * 3
    q = quantize_by_hand(g, {"x": x}, dtype=dtype)
    if op.endswith("MaxPool"):       # the quantizer's same_as_input rule
        q.values["y"].quant = q.values["x"].quant
    _, fast, ref = run_both(q, {"x": x}, rounding)
    np.testing.assert_array_equal(fast["y@q"], ref["y@q"])
    qx = q.values["x"].quant
    xq = dequantize(fast["x@q"], qx.scale, qx.zero_point)
    want = FloatExecutor(g).run({"x": xq})["y"]
    qy = q.values["y"].quant
    step, zp = float(qy.scale[0]), int(qy.zero_point[0])
    want = np.clip(want, step * (qy.qmin - zp), step * (qy.qmax - zp))   # saturation
    if op.endswith("MaxPool"):
        np.testing.assert_array_equal(fast["y"], want)         # exact: max of codes
    else:
        assert np.max(np.abs(fast["y"] - want)) <= 0.51 * step   # one rounding, ~half a step


def test_average_ties_follow_the_rounding_mode():
    """2×2 windows: centred sums ≡ 2 (mod 4) are exact ties."""
    g = pool_graph("AveragePool", (1, 1, 2, 4), "kernel_shape=[2, 2], strides=[2, 2]")
    q = QuantParams.per_tensor("int8", 1.0, 0)
    g.values["x"].quant = g.values["y"].quant = q
    x = np.array([[[[1, 0, -1, 0], [1, 0, -1, 0]]]], np.float32)   # sums 2 and -2
    want = {"half_away_from_zero": [1, -1], "half_to_even": [0, 0], "half_up": [1, 0]}
    for mode, codes in want.items():
        _, fast, ref = run_both(g, {"x": x}, mode)
        np.testing.assert_array_equal(fast["y@q"].reshape(-1), codes)
        np.testing.assert_array_equal(ref["y@q"].reshape(-1), codes)
