"""Integer Conv: fast kernel == reference to the bit; close to the float conv."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qhelpers import quantize_by_hand, run_both

from npukit.ir import parse_graph


def conv_graph(n, cin, cout, h, w, k, group, stride, pad, dil, relu, pad_end=None):
    act = ', activation="Relu"' if relu else ""
    e = pad if pad_end is None else pad_end
    return parse_graph(f'''graph c opset 21 {{
      input x: f32[{n},{cin},{h},{w}]
      const w: f32[{cout},{cin // group},{k},{k}] = randn
      const b: f32[{cout}] = randn
      node conv = Conv(x, w, b) -> (y: ?) {{group={group}, strides=[{stride}, {stride}],
        pads=[{pad}, {pad}, {e}, {e}], dilations=[{dil}, {dil}]{act}}}
      output y
    }}''')


@st.composite
def conv_cases(draw):
    group = draw(st.sampled_from([1, 2, 4]))
    depthwise = draw(st.booleans())
    cin = draw(st.integers(1, 3)) * group
    cout = cin if depthwise else draw(st.integers(1, 3)) * group
    if depthwise:
        group = cin
    k = draw(st.sampled_from([1, 2, 3, 5]))
    dil = draw(st.sampled_from([1, 1, 2]))
    span = dil * (k - 1) + 1
    return dict(n=draw(st.integers(1, 2)), cin=cin, cout=cout, h=draw(st.integers(span, 9)),
                w=draw(st.integers(span, 9)), k=k, group=group, stride=draw(st.integers(1, 2)),
                pad=draw(st.integers(0, 2)), dil=dil, relu=draw(st.booleans()),
                pad_end=draw(st.integers(0, 2)))


@settings(max_examples=120, deadline=None, derandomize=True)
@given(case=conv_cases(), seed=st.integers(0, 2**16),
       dtype=st.sampled_from(["int8", "uint8", "int16"]),
       wdtype=st.sampled_from(["int8", "int8", "int4"]),
       rounding=st.sampled_from(["half_away_from_zero", "half_to_even", "half_up",
                                 "truncate", "floor"]),
       tile=st.sampled_from([None, 1, 7, 64]))
def test_conv_fast_equals_reference(case, seed, dtype, wdtype, rounding, tile):
    """Every fast path (pointwise, depthwise, im2col; float32 or float64 BLAS; one tile
    or many — ``tile`` shrinks the tiles so their edges are exercised) == reference."""
    from npukit.ops import conv_int_fast
    with pytest.MonkeyPatch.context() as mp:
        if tile is not None:
            mp.setattr(conv_int_fast, "TILE", tile)
            mp.setattr(conv_int_fast, "MIN_COLS", 1)
        _check_conv(case, seed, dtype, wdtype, rounding)


def _check_conv(case, seed, dtype, wdtype, rounding):
    g = conv_graph(**case)
    from npukit.ops import infer_graph
    infer_graph(g)
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(g.values["x"].shape) * rng.uniform(0.1, 5)).astype(np.float32)
    q = quantize_by_hand(g, {"x": x}, dtype=dtype, wdtype=wdtype)
    prog, fast, ref = run_both(q, {"x": x}, rounding)
    assert [r.kernel for r in prog.records] == ["Quantize", "Conv", "Dequantize"]
    assert fast["y@q"].dtype == ref["y@q"].dtype
    np.testing.assert_array_equal(fast["y@q"], ref["y@q"])


def test_conv_int_is_close_to_float():
    from npukit.ops import infer_graph
    from npukit.sim import FloatExecutor
    g = conv_graph(1, 8, 16, 12, 12, 3, 1, 1, 1, 1, True)
    infer_graph(g)
    x = np.random.default_rng(0).standard_normal((1, 8, 12, 12)).astype(np.float32)
    q = quantize_by_hand(g, {"x": x})
    _, fast, _ = run_both(q, {"x": x})
    want = FloatExecutor(g).run({"x": x})["y"]
    step = float(q.values["y"].quant.scale[0])
    assert np.max(np.abs(fast["y"] - want)) < 3 * step
    assert fast["y"].min() >= 0          # fused Relu became a clamp at zero_point
