"""Output-error range search: clips what the next layer does not need.

A tensor-level criterion keeps the range of a loud input channel that the
consuming Conv ignores (its weights are zero there); the output-error search
sees that clipping it costs nothing and makes the step of the other channels
finer.
"""

import numpy as np

from npukit.ir import parse_graph
from npukit.quant.algorithms.range_search import search_ranges, searchable
from npukit.quant.config import QuantConfig
from npukit.quant.quantizer import quantize
from npukit.sim import FloatExecutor

TOY = """graph "toy" opset 21 {
  input x: f32[1,4,8,8]
  const w1: f32[8,4,3,3] = randn
  const w2: f32[8,8,1,1] = randn
  node c1 = Conv(x, w1) -> (a: f32[1,8,8,8]) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
  node c2 = Conv(a, w2) -> (b: f32[1,8,8,8]) {kernel_shape=[1, 1]}
  node add = Add(a, b) -> (y: f32[1,8,8,8])
  output y
}"""


def feeds(rng, n):
    out = []
    for _ in range(n):
        x = rng.standard_normal((1, 4, 8, 8)).astype(np.float32)
        x[:, 0] *= 50.0                             # a loud channel that c1 ignores
        out.append({"x": x})
    return out


def c1_error(g, rng_x, data):
    from npukit.numerics.quantize import choose_qparams, dequantize, quantize
    from npukit.numerics.rounding import RoundingMode
    s, z = choose_qparams(rng_x[0], rng_x[1], "int8", False)
    fx = FloatExecutor(g)
    err = 0.0
    for f in data:
        xq = dequantize(quantize(f["x"], s, z, "int8", RoundingMode.HALF_AWAY_FROM_ZERO), s, z)
        err += float(np.sum((fx.run({"x": xq}, keep=["a"])["a"]
                             - fx.run(f, keep=["a"])["a"]) ** 2))
    return err


def toy():
    g = parse_graph(TOY)
    w1 = g.const("w1").copy()
    w1[:, 0] = 0.0
    g.values["w1"].const = w1
    return g


def test_only_values_read_by_gemm_like_data_inputs_are_searched():
    g = parse_graph(TOY)
    assert sorted(searchable(g)) == ["x"]           # a also feeds Add


def test_search_clips_the_outlier_and_lowers_the_output_error(rng):
    g = toy()
    data = feeds(rng, 4)
    full = (float(min(f["x"].min() for f in data)), float(max(f["x"].max() for f in data)))
    found = search_ranges(g, {"x": full, "a": (-1.0, 1.0)}, data)
    assert set(found) == {"x"}
    assert found["x"][1] < full[1]
    held = feeds(rng, 4)
    assert c1_error(g, found["x"], held) < c1_error(g, full, held)


def test_quantize_option_narrows_the_input_scale(rng):
    g = toy()
    data = feeds(rng, 6)
    plain = quantize(g, data, show_progress=False)
    searched = quantize(g, data, QuantConfig(range_search_samples=3), show_progress=False)
    s0 = float(plain.graph.values["x"].quant.scale[0])
    s1 = float(searched.graph.values["x"].quant.scale[0])
    assert s1 < s0
    assert searched.graph.values["a"].quant.scale[0] == plain.graph.values["a"].quant.scale[0]
