"""Dead channels keep their bias: weight scales widen so the int32 bias fits."""

import numpy as np

from npukit.ir import parse_graph
from npukit.quant.algorithms.bias_range import BIAS_LIMIT, fit_bias_range
from npukit.quant.quantizer import quantize
from npukit.sim import FloatExecutor

TOY = """graph "toy" opset 21 {
  input x: f32[1,4,6,6]
  const w: f32[8,4,3,3] = randn
  const b: f32[8] = randn
  node c = Conv(x, w, b) -> (y: f32[1,8,6,6]) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
  output y
}"""


def dead_channel_graph():
    g = parse_graph(TOY)
    w = g.const("w").copy()
    w[3] = 1e-9                                   # a channel folded BatchNorm left dead
    b = g.const("b").copy()
    b[3] = 2.0                                    # it outputs the constant 2
    g.values["w"].const, g.values["b"].const = w, b
    return g


def test_dead_channel_outputs_its_bias(rng):
    g = dead_channel_graph()
    data = [{"x": rng.standard_normal((1, 4, 6, 6)).astype(np.float32)} for _ in range(4)]
    qm = quantize(g, data, show_progress=False)
    y = qm.run(data[0])["y"]
    ref = FloatExecutor(g).run(data[0])["y"]
    np.testing.assert_allclose(y[0, 3], ref[0, 3], atol=0.05)
    bias = next(r for r in qm.program.records if r.kernel == "Conv").tensors["bias"]
    assert np.abs(bias.astype(np.int64)).max() <= BIAS_LIMIT


def test_only_overflowing_channels_widen(rng):
    g = dead_channel_graph()
    data = [{"x": rng.standard_normal((1, 4, 6, 6)).astype(np.float32)} for _ in range(2)]
    qg = quantize(g, data, show_progress=False).graph
    before = qg.values["w"].quant.scale.copy()
    assert fit_bias_range(qg) == {}               # quantize() already fitted it
    from npukit.ir import QuantParams
    tiny = before.copy()
    tiny[3] = 1e-12
    qg.values["w"].quant = QuantParams("int8", tiny, np.zeros(8, np.int32), 0)
    assert fit_bias_range(qg) == {"c": 1}
    after = qg.values["w"].quant.scale
    assert np.array_equal(np.delete(after, 3), np.delete(before, 3)) and after[3] > 1e-12


def test_grouped_conv_transpose_bias_fits(rng):
    """ConvTranspose scales (axis 1, M/g of them) are shared by the groups: a channel
    widens when the bias of that channel in any group would overflow."""
    g = parse_graph("""graph "up" opset 21 {
      input x: f32[1,4,5,5]
      const w: f32[4,3,3,3] = randn
      const b: f32[6] = randn
      node up = ConvTranspose(x, w, b) -> (y: f32[1,6,11,11]) {group=2, strides=[2, 2]}
      output y
    }""")
    w = g.const("w").copy()
    w[:, 1] = 1e-9                                # output channel 1 of each group is dead
    b = g.const("b").copy()
    b[4] = 3.0                                    # group 1's copy outputs 3
    g.values["w"].const, g.values["b"].const = w, b
    data = [{"x": rng.standard_normal((1, 4, 5, 5)).astype(np.float32)} for _ in range(4)]
    qm = quantize(g, data, show_progress=False)
    assert qm.graph.values["w"].quant.scale.shape == (3,)
    rec = next(r for r in qm.program.records if r.kernel == "ConvTranspose")
    assert np.abs(rec.tensors["bias"].astype(np.int64)).max() <= BIAS_LIMIT
    y, ref = qm.run(data[0])["y"], FloatExecutor(g).run(data[0])["y"]
    step = float(qm.graph.values["y"].quant.scale[0])
    np.testing.assert_allclose(y[0, 4], ref[0, 4], atol=step)
