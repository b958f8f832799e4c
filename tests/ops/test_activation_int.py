"""Integer activations: clamps on codes and lookup tables; fast == reference to the bit,
and each table entry within one code of quantizing the float op's own output."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qhelpers import run_both

from npukit.ir import QuantParams, parse_graph
from npukit.numerics.quantize import dequantize, quantize
from npukit.numerics.rounding import RoundingMode
from npukit.numerics.saturate import qrange
from npukit.ops import get_op, infer_graph
from npukit.ops.activation_int import LUT_OPS

ROUNDINGS = ["half_away_from_zero", "half_to_even", "half_up"]
ATTRS = {"LeakyRelu": "alpha=0.1", "Elu": "alpha=0.7", "HardSigmoid": "alpha=0.3, beta=0.4",
         "Gelu": 'approximate="tanh"', "npukit::Swish": "alpha=1.5"}


def unary_graph(op, shape, attrs="", extra_inputs=""):
    dims = ",".join(map(str, shape))
    g = parse_graph(f'''graph a opset 24 {{
      input x: f32[{dims}]
      {extra_inputs}
      node n = {op}(x{", lo, hi" if extra_inputs else ""}) -> (y: ?) {{{attrs}}}
      output y
    }}''')
    infer_graph(g)
    return g


def params(dtype, scale, zp):
    if dtype == "int16":
        zp = 0
    elif dtype == "uint8":
        zp = zp + 128
    return QuantParams.per_tensor(dtype, scale, zp)


def all_codes(dtype):
    """Every code of an 8-bit type; 300 spread over a 16-bit one (both ends included)."""
    lo, hi = qrange(dtype)
    if hi - lo < 256:
        return np.arange(lo, hi + 1)
    return np.linspace(lo, hi, 300).round().astype(np.int64)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(op=st.sampled_from(LUT_OPS), dtype=st.sampled_from(["int8", "uint8", "int16"]),
       s_in=st.floats(0.002, 0.2), s_out=st.floats(0.002, 0.2),
       zps=st.tuples(st.integers(-60, 60), st.integers(-60, 60)),
       rounding=st.sampled_from(ROUNDINGS))
def test_lut_fast_equals_reference_and_float(op, dtype, s_in, s_out, zps, rounding):
    check_lut(op, dtype, s_in, s_out, zps, rounding)


@pytest.mark.parametrize("op", LUT_OPS)
def test_every_table_op(op):
    check_lut(op, "int8", 0.05, 0.03, (3, -20), "half_to_even")


def check_lut(op, dtype, s_in, s_out, zps, rounding):
    if dtype == "int16":
        s_in, s_out = s_in / 200, s_out / 200
    g = unary_graph(op, (1, 300 if dtype == "int16" else 256), ATTRS.get(op, ""))
    qx, qy = params(dtype, s_in, zps[0]), params(dtype, s_out, zps[1])
    g.values["x"].quant, g.values["y"].quant = qx, qy
    codes = all_codes(dtype).reshape(1, -1)
    x = dequantize(codes, qx.scale, qx.zero_point)
    prog, fast, ref = run_both(g, {"x": x}, rounding)
    assert prog.records[1].kernel == "Lut"
    np.testing.assert_array_equal(fast["y@q"], ref["y@q"])
    np.testing.assert_array_equal(fast["x@q"], codes)
    # the table is the float op on the exact reals s_in·(q − zp) (float64), quantized
    fop, node = get_op(g.nodes[0].op_type, g.nodes[0].domain), g.nodes[0]
    x64 = np.float64(qx.scale[0]) * (codes - int(qx.zero_point[0])).astype(np.float64)

    def quant(v):
        return quantize(np.asarray(v, np.float64), np.float64(qy.scale[0]),
                        int(qy.zero_point[0]), dtype, RoundingMode.parse(rounding))
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(fast["y@q"], quant(fop.run(node, [x64])[0]))
        want32 = quant(fop.run(node, [x])[0])     # the float32 kernel on float32 reals
    diff = np.abs(fast["y@q"].astype(np.int64) - want32.astype(np.int64))
    # at most one code off by more than one: a discontinuity (ThresholdedRelu's threshold)
    # that the float32 product lands on and the exact real passes
    assert np.sum(diff > 1) <= 1 and np.mean(np.minimum(diff, 1)) < 0.05


@settings(max_examples=40, deadline=None, derandomize=True)
@given(op=st.sampled_from(["Relu", "Clip"]), dtype=st.sampled_from(["int8", "uint8", "int16"]),
       scale=st.floats(0.005, 0.2), zp=st.integers(-60, 60), same=st.booleans(),
       bounds=st.tuples(st.floats(-3, 0), st.floats(0, 6)),
       rounding=st.sampled_from(ROUNDINGS))
def test_clamp_fast_equals_reference_and_float(op, dtype, scale, zp, same, bounds, rounding):
    extra = "" if op == "Relu" else \
        f"const lo: f32[] = [{bounds[0]}]\n      const hi: f32[] = [{bounds[1]}]"
    g = unary_graph(op, (2, 128), "", extra)
    q = params(dtype, scale, zp)
    g.values["x"].quant = q
    g.values["y"].quant = q if same else params(dtype, scale * 0.6, zp // 2)
    rng = np.random.default_rng(zp + 100)
    lo, hi = qrange(dtype)
    codes = rng.integers(lo, hi + 1, (2, 128))
    x = dequantize(codes, q.scale, q.zero_point)
    prog, fast, ref = run_both(g, {"x": x}, rounding)
    assert prog.records[1].kernel == ("Clamp" if same else "Lut")
    np.testing.assert_array_equal(fast["y@q"], ref["y@q"])
    want = get_op(op).run(g.nodes[0], [x] + ([] if op == "Relu" else
                                             [np.float32(bounds[0]), np.float32(bounds[1])]))[0]
    qy = g.values["y"].quant
    wq = quantize(want.astype(np.float64), np.float64(qy.scale[0]), int(qy.zero_point[0]),
                  dtype, RoundingMode.parse(rounding))
    assert np.abs(fast["y@q"].astype(np.int64) - wq).max() <= 1


def test_relu_clamps_at_zero_point():
    g = unary_graph("Relu", (5,))
    q = QuantParams.per_tensor("int8", 0.5, -10)
    g.values["x"].quant = g.values["y"].quant = q
    x = np.array([-3.0, -0.5, 0.0, 0.5, 60.0], np.float32)
    prog, fast, _ = run_both(g, {"x": x})
    assert prog.records[1].attrs == {"clamp_min": -10, "clamp_max": 127}
    np.testing.assert_array_equal(fast["y"], np.maximum(x, 0))
