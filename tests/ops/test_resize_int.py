"""Integer Resize: nearest moves codes exactly; linear with fixed-point weights is
fast == reference to the bit (ties on purpose) and close to the float op."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from qhelpers import run_both

from npukit.ir import QuantParams, parse_graph
from npukit.numerics.quantize import dequantize
from npukit.numerics.saturate import qrange
from npukit.ops import infer_graph
from npukit.sim import FloatExecutor

ROUNDINGS = ["half_away_from_zero", "half_to_even", "half_up"]
CTMS = ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
        "asymmetric"]


def resize_graph(shape, scales=None, sizes=None, attrs=""):
    dims = ",".join(map(str, shape))
    if sizes is not None:
        c, call = f"const sz: i64[{len(sizes)}] = {list(sizes)}", 'Resize(x, "", "", sz)'
    else:
        c, call = f"const sc: f32[{len(scales)}] = {list(scales)}", 'Resize(x, "", sc)'
    g = parse_graph(f'''graph r opset 19 {{
      input x: f32[{dims}]
      {c}
      node n = {call} -> (y: ?) {{{attrs}}}
      output y
    }}''')
    infer_graph(g)
    return g


@st.composite
def resize_cases(draw):
    shape = (1, draw(st.integers(1, 2)), draw(st.integers(2, 5)), draw(st.integers(2, 5)))
    ctm = draw(st.sampled_from(CTMS))
    if draw(st.booleans()):
        kw = {"sizes": [shape[0], shape[1], draw(st.integers(1, 9)), draw(st.integers(1, 9))]}
    else:
        kw = {"scales": [1.0, 1.0, draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0])),
                         draw(st.sampled_from([0.6, 2.0, 2.5, 4.0]))]}
    return shape, kw, f'mode="linear", coordinate_transformation_mode="{ctm}"'


def params(dtype, scale, zp):
    lo, _ = qrange(dtype)
    return QuantParams.per_tensor(dtype, scale, 0 if dtype == "int16" else
                                  zp + 128 if lo == 0 else zp)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(case=resize_cases(), dtype=st.sampled_from(["int8", "uint8", "int16"]),
       zp=st.integers(-50, 50), same=st.booleans(), rounding=st.sampled_from(ROUNDINGS),
       seed=st.integers(0, 999))
def test_linear_fast_equals_reference_and_float(case, dtype, zp, same, rounding, seed):
    shape, kw, attrs = case
    g = resize_graph(shape, attrs=attrs, **kw)
    qx = params(dtype, 0.05, zp)
    g.values["x"].quant = qx
    g.values["y"].quant = qx if same else params(dtype, 0.03, zp // 2)
    lo, hi = qrange(dtype)
    codes = np.random.default_rng(seed).integers(lo, hi + 1, shape)
    x = dequantize(codes, qx.scale, qx.zero_point)
    prog, fast, ref = run_both(g, {"x": x}, rounding)
    rec = prog.records[1]
    assert rec.kernel == "ResizeLinear" or rec.kernel == "Move" and not rec.attrs.get("axes")
    np.testing.assert_array_equal(fast["y@q"], ref["y@q"])
    qy = g.values["y"].quant
    step, z = float(qy.scale[0]), int(qy.zero_point[0])
    want = np.clip(FloatExecutor(g).run({"x": x})["y"], step * (qy.qmin - z),
                   step * (qy.qmax - z))
    # half a step of output rounding + weight rounding: 2^-13 of a neighbour difference
    # (up to the whole input range) per axis
    span = float(qx.scale[0]) * (hi - lo)
    assert np.max(np.abs(fast["y"] - want)) <= 0.5 * step + 2 * span * 2.0**-13 + 1e-6


@settings(max_examples=30, deadline=None, derandomize=True)
@given(shape=st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(2, 6),
                       st.integers(2, 6)),
       scales=st.tuples(st.sampled_from([0.5, 1.0, 2.0, 3.0, 1.7]),
                        st.sampled_from([0.6, 2.0, 2.5])),
       ctm=st.sampled_from(CTMS),
       nearest=st.sampled_from(["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]),
       dtype=st.sampled_from(["int8", "uint8", "int16"]), seed=st.integers(0, 999))
def test_nearest_moves_codes_exactly(shape, scales, ctm, nearest, dtype, seed):
    attrs = f'mode="nearest", coordinate_transformation_mode="{ctm}", nearest_mode="{nearest}"'
    g = resize_graph(shape, scales=[1.0, 1.0, *scales], attrs=attrs)
    qx = params(dtype, 0.1, 7)
    g.values["x"].quant = g.values["y"].quant = qx
    lo, hi = qrange(dtype)
    x = dequantize(np.random.default_rng(seed).integers(lo, hi + 1, shape), qx.scale,
                   qx.zero_point)
    prog, fast, ref = run_both(g, {"x": x})
    assert prog.records[1].kernel == "Move"
    np.testing.assert_array_equal(fast["y@q"], ref["y@q"])
    np.testing.assert_array_equal(fast["y"], FloatExecutor(g).run({"x": x})["y"])


def test_bilinear_ties_follow_the_rounding_mode():
    """align_corners 2×2 → 3×3: the centre is the mean of four codes; sums ≡ 2 (mod 4)
    are exact ties."""
    g = resize_graph((1, 1, 2, 2), sizes=[1, 1, 3, 3],
                     attrs='mode="linear", coordinate_transformation_mode="align_corners"')
    q = QuantParams.per_tensor("int8", 1.0, 0)
    g.values["x"].quant = g.values["y"].quant = q
    x = np.array([[[[1, 0], [1, 0]]]], np.float32)       # centre 2/4, edge means 1/2
    want = {"half_away_from_zero": 1, "half_to_even": 0, "half_up": 1}
    for mode, centre in want.items():
        _, fast, ref = run_both(g, {"x": x}, mode)
        assert fast["y@q"][0, 0, 1, 1] == centre == ref["y@q"][0, 0, 1, 1]
        np.testing.assert_array_equal(fast["y@q"], ref["y@q"])
    x = -x                                               # -0.5 ties: away gives -1
    _, fast, _ = run_both(g, {"x": x}, "half_away_from_zero")
    assert fast["y@q"][0, 0, 1, 1] == -1


def test_cubic_runs_in_float():
    g = resize_graph((1, 1, 3, 3), scales=[1, 1, 2, 2], attrs='mode="cubic"')
    q = QuantParams.per_tensor("int8", 0.1, 0)
    g.values["x"].quant = g.values["y"].quant = q
    prog, _, _ = run_both(g, {"x": np.zeros((1, 1, 3, 3), np.float32)})
    assert any(r.engine == "cpu" and "cubic" in r.reason for r in prog.records)
