"""Integer Add / Sub / Mul: fast == reference to the bit (ties on purpose); close to float."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from qhelpers import quantize_by_hand, run_both

from npukit.ir import QuantParams, parse_graph
from npukit.numerics.quantize import dequantize
from npukit.numerics.saturate import qrange
from npukit.ops import infer_graph
from npukit.ops.elementwise_int import const_params
from npukit.ops.fused import apply_activation
from npukit.sim import FloatExecutor

ROUNDINGS = ["half_away_from_zero", "half_to_even", "half_up", "truncate", "floor"]


def binary_graph(op, sa, sb, const_b=False, act=""):
    dims = lambda s: ",".join(map(str, s))  # noqa: E731
    b = f"const b: f32[{dims(sb)}] = randn" if const_b else f"input b: f32[{dims(sb)}]"
    g = parse_graph(f'''graph e opset 21 {{
      input a: f32[{dims(sa)}]
      {b}
      node n = {op}(a, b) -> (y: ?) {{{act}}}
      output y
    }}''')
    infer_graph(g)
    return g


def set_params(g, name, dtype, scale, zp):
    g.values[name].quant = QuantParams.per_tensor(dtype, scale, zp)


def codes(rng, shape, dtype):
    lo, hi = qrange(dtype)
    return rng.integers(lo, hi + 1, shape)


SHAPES = [((2, 3), (2, 3)), ((2, 3, 4), (4,)), ((3, 1), (1, 5)), ((1,), (2, 2)),
          ((2, 1, 3), (4, 1))]
# scales that are powers of two apart make the rescales exact halves: ties happen
SCALES = st.one_of(st.sampled_from([2.0**-5, 2.0**-4, 2.0**-3, 2.0**-6]),
                   st.floats(0.001, 0.5))
ACTS = ["", 'activation="Relu"', 'activation="Clip", activation_params=[-0.5, 1.0]']


@settings(max_examples=40, deadline=None, derandomize=True)
@given(op=st.sampled_from(["Add", "Sub", "Mul"]), shapes=st.sampled_from(SHAPES),
       swap=st.booleans(), dtype=st.sampled_from(["int8", "uint8", "int16"]),
       scales=st.tuples(SCALES, SCALES, SCALES), zps=st.tuples(*[st.integers(-40, 40)] * 3),
       act=st.sampled_from(ACTS), rounding=st.sampled_from(ROUNDINGS),
       seed=st.integers(0, 999))
def test_fast_equals_reference(op, shapes, swap, dtype, scales, zps, act, rounding, seed):
    sa, sb = shapes[::-1] if swap else shapes
    g = binary_graph(op, sa, sb, act=act)
    lo, _ = qrange(dtype)
    zps = [0 if dtype == "int16" else z - lo - 128 if lo == 0 else z for z in zps]
    for name, s, z in zip("aby", scales, zps):
        set_params(g, name, dtype, s, z)
    rng = np.random.default_rng(seed)
    feeds = {n: dequantize(codes(rng, sh, dtype), scales[k], zps[k])
             for k, (n, sh) in enumerate(zip("ab", (sa, sb)))}
    prog, fast, ref = run_both(g, feeds, rounding)
    assert prog.records[2].kernel == ("Mul" if op == "Mul" else "Add")
    assert fast["y@q"].dtype == ref["y@q"].dtype
    np.testing.assert_array_equal(fast["y@q"], ref["y@q"])


@settings(max_examples=40, deadline=None, derandomize=True)
@given(op=st.sampled_from(["Add", "Sub", "Mul"]), shapes=st.sampled_from(SHAPES),
       dtype=st.sampled_from(["int8", "uint8", "int16"]), const_b=st.booleans(),
       act=st.sampled_from(ACTS), rounding=st.sampled_from(ROUNDINGS),
       seed=st.integers(0, 999))
def test_close_to_float(op, shapes, dtype, const_b, act, rounding, seed):
    g = binary_graph(op, *shapes, const_b=const_b, act=act)
    rng = np.random.default_rng(seed)
    feeds = {"a": (rng.standard_normal(shapes[0]) * rng.uniform(0.2, 4)).astype(np.float32)}
    if not const_b:
        feeds["b"] = (rng.standard_normal(shapes[1]) * rng.uniform(0.2, 4)).astype(np.float32)
    q = quantize_by_hand(g, feeds, dtype=dtype, symmetric=dtype == "int16")
    prog, fast, ref = run_both(q, feeds, rounding)
    np.testing.assert_array_equal(fast["y@q"], ref["y@q"])
    # the float op on the inputs as the integer kernel sees them: only its own rounding remains
    fq = {k: dequantize(fast[k + "@q"], q.values[k].quant.scale, q.values[k].quant.zero_point)
          for k in feeds}
    if const_b:
        c = np.asarray(g.values["b"].const, np.float64)
        p = const_params(c, q.values["a"].quant)
        fq["b"] = dequantize(prog.records[1].tensors["const"], p.scale, p.zero_point)
    plain = binary_graph(op, *shapes, act=act)
    want = apply_activation(plain.nodes[0], FloatExecutor(plain).run(fq)["y"])
    qy = q.values["y"].quant
    step, zp = float(qy.scale[0]), int(qy.zero_point[0])
    want = np.clip(want, step * (qy.qmin - zp), step * (qy.qmax - zp))   # saturation
    # one rounding: half a step for the nearest modes, a whole one for truncate / floor
    assert np.max(np.abs(fast["y"] - want)) <= (0.51 if "half" in rounding else 1.01) * step


def test_add_matches_tflite_example():
    """Equal scales: Add is exact; the fused Relu clamps at the zero point."""
    g = binary_graph("Add", (4,), (4,), act='activation="Relu"')
    for n in "aby":
        set_params(g, n, "int8", 0.5, -3)
    a = np.array([-1.0, 2.5, 3.0, -63.0], np.float32)
    b = np.array([0.5, -0.5, 7.0, 1.0], np.float32)
    _, fast, _ = run_both(g, {"a": a, "b": b})
    np.testing.assert_array_equal(fast["y"], np.maximum(a + b, 0))


def test_ties_round_with_the_target_mode():
    """s_y = 2 s_a = 2 s_b: every odd sum of centred codes is an exact tie."""
    g = binary_graph("Add", (4,), (4,))
    set_params(g, "a", "int8", 0.25, 0)
    set_params(g, "b", "int8", 0.25, 0)
    set_params(g, "y", "int8", 0.5, 0)
    a = np.array([0.25, -0.25, 0.75, -0.75], np.float32)
    b = np.zeros(4, np.float32)
    want = {"half_away_from_zero": [1, -1, 2, -2], "half_to_even": [0, 0, 2, -2],
            "half_up": [1, 0, 2, -1]}
    for mode, codes_ in want.items():
        _, fast, ref = run_both(g, {"a": a, "b": b}, mode)
        np.testing.assert_array_equal(fast["y@q"], codes_)
        np.testing.assert_array_equal(ref["y@q"], codes_)


def test_mixed_dtypes():
    """int16 + int8 → int8: 15 bits of headroom, one requantization per input."""
    for op in ("Add", "Sub", "Mul"):
        g = binary_graph(op, (3, 4), (4,))
        set_params(g, "a", "int16", 2.0**-12, 0)
        set_params(g, "b", "int8", 0.02, -5)
        set_params(g, "y", "int8", 0.05, 1)
        rng = np.random.default_rng(7)
        feeds = {"a": rng.uniform(-2, 2, (3, 4)).astype(np.float32),
                 "b": rng.uniform(-2, 2, (4,)).astype(np.float32)}
        prog, fast, ref = run_both(g, feeds)
        np.testing.assert_array_equal(fast["y@q"], ref["y@q"])
        if op != "Mul":
            assert prog.records[2].attrs["left_shift"] == 15
        fq = {k: dequantize(fast[k + "@q"], g.values[k].quant.scale,
                            g.values[k].quant.zero_point) for k in "ab"}
        want = FloatExecutor(g).run(fq)["y"]
        assert np.max(np.abs(fast["y"] - want)) <= 0.51 * 0.05


def test_two_input_sum_is_integer_add():
    import numpy as np
    from qhelpers import quantize_by_hand, run_both

    from npukit.ir import parse_graph
    from npukit.ops import infer_graph
    g = parse_graph('''graph s opset 21 {
      input a: f32[2,8]
      input b: f32[2,8]
      node s = Sum(a, b) -> (y: ?)
      output y
    }''')
    infer_graph(g)
    rng = np.random.default_rng(0)
    feeds = {"a": rng.standard_normal((2, 8)).astype(np.float32),
             "b": 3 * rng.standard_normal((2, 8)).astype(np.float32)}
    q = quantize_by_hand(g, feeds)
    prog, fast, ref = run_both(q, feeds)
    assert [r.kernel for r in prog.records].count("Add") == 1
    np.testing.assert_array_equal(fast["y@q"], ref["y@q"])
    step = float(q.values["y"].quant.scale[0])
    assert np.max(np.abs(fast["y"] - (feeds["a"] + feeds["b"]))) <= step
