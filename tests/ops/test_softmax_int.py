"""Integer Softmax (exp table, exact division): fast == reference to the bit, within half
an output step (+ the table's 2^-25) of the float op; LayerNormalization declared float."""

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


def softmax_graph(shape, axis):
    g = parse_graph(f'''graph s opset 21 {{
      input x: f32[{",".join(map(str, shape))}]
      node n = Softmax(x) -> (y: ?) {{axis={axis}}}
      output y
    }}''')
    infer_graph(g)
    return g


def params(dtype, scale, zp):
    lo, _ = qrange(dtype)
    return QuantParams.per_tensor(dtype, scale, 0 if dtype == "int16" else
                                  zp + 128 if lo == 0 else zp)


SHAPES = [(1, 10), (2, 3, 5), (4, 1), (3, 7), (2, 2, 2, 6)]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(shape=st.sampled_from(SHAPES), axis=st.integers(-1, 1),
       dtype=st.sampled_from(["int8", "uint8", "int16"]),
       s_in=st.sampled_from([0.05, 0.1, 0.0625, 0.3]), zp=st.integers(-60, 60),
       out_bits=st.sampled_from(["8", "16"]), rounding=st.sampled_from(ROUNDINGS),
       seed=st.integers(0, 999))
def test_fast_equals_reference(shape, axis, dtype, s_in, zp, out_bits, rounding, seed):
    g = softmax_graph(shape, axis)
    qx = params(dtype, s_in / (100 if dtype == "int16" else 1), zp)
    g.values["x"].quant = qx
    # 1/256 and 1/32768 output steps: power-of-two reciprocals make exact ties possible
    g.values["y"].quant = QuantParams.per_tensor("uint8", 1 / 256, 0) if out_bits == "8" \
        else QuantParams.per_tensor("int16", 1 / 32768, 0)
    lo, hi = qrange(dtype)
    codes = np.random.default_rng(seed).integers(lo, hi + 1, shape)
    x = dequantize(codes, qx.scale, qx.zero_point)
    prog, fast, ref = run_both(g, {"x": x}, rounding)
    assert prog.records[1].kernel == "Softmax"
    np.testing.assert_array_equal(fast["y@q"], ref["y@q"])
    qy = g.values["y"].quant
    want = FloatExecutor(g).run({"x": x})["y"].astype(np.float64)
    step = float(qy.scale[0])
    want = np.clip(want, 0, step * (qy.qmax - int(qy.zero_point[0])))
    assert np.max(np.abs(fast["y"] - want)) <= 0.5 * step + 1e-5


def test_close_to_float_with_calibrated_params():
    g = softmax_graph((8, 100), -1)
    x = np.random.default_rng(0).standard_normal((8, 100)).astype(np.float32) * 3
    q = quantize_by_hand(g, {"x": x}, dtype="int8")
    _, fast, ref = run_both(q, {"x": x})
    np.testing.assert_array_equal(fast["y@q"], ref["y@q"])
    qx = q.values["x"].quant
    want = FloatExecutor(g).run({"x": dequantize(fast["x@q"], qx.scale, qx.zero_point)})["y"]
    assert np.max(np.abs(fast["y"] - want)) <= 0.5 * float(q.values["y"].quant.scale[0]) + 1e-6


def test_uniform_row_ties():
    """Four equal logits give 1/4 = 64/256 exactly; three give 85.33 → 85."""
    for n, code in ((4, 64), (3, 85), (2, 128)):
        g = softmax_graph((1, n), -1)
        g.values["x"].quant = QuantParams.per_tensor("int8", 0.1, 0)
        g.values["y"].quant = QuantParams.per_tensor("uint8", 1 / 256, 0)
        _, fast, ref = run_both(g, {"x": np.full((1, n), 0.5, np.float32)})
        assert (fast["y@q"] == code).all() and (ref["y@q"] == code).all()


def test_layernorm_is_declared_float():
    g = parse_graph('''graph l opset 21 {
      input x: f32[2,4]
      const s: f32[4] = ones
      const b: f32[4] = zeros
      node n = LayerNormalization(x, s, b) -> (y: ?) {axis=-1}
      output y
    }''')
    infer_graph(g)
    q = quantize_by_hand(g, {"x": np.arange(8, dtype=np.float32).reshape(2, 4)})
    prog, fast, _ = run_both(q, {"x": np.arange(8, dtype=np.float32).reshape(2, 4)})
    rec = next(r for r in prog.records if r.sources == ("n",))
    assert rec.engine == "cpu" and rec.reason.startswith("LayerNormalization runs in float")


def test_exact_tie_follows_the_rounding_mode():
    """512 equal logits: p = 1/512 = half a 1/256 step, an exact tie."""
    g = softmax_graph((1, 512), -1)
    g.values["x"].quant = QuantParams.per_tensor("int8", 0.1, 0)
    g.values["y"].quant = QuantParams.per_tensor("uint8", 1 / 256, 0)
    x = np.zeros((1, 512), np.float32)
    for mode, code in (("half_away_from_zero", 1), ("half_to_even", 0), ("half_up", 1),
                       ("truncate", 0)):
        _, fast, ref = run_both(g, {"x": x}, mode)
        assert (fast["y@q"] == code).all() and (ref["y@q"] == code).all()
