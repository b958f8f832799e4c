"""Cross-layer equalisation: the float function is unchanged, channel ranges even out."""

import numpy as np
import pytest

from npukit.ir import parse_graph
from npukit.quant.algorithms.cle import equalize, homogeneous
from npukit.sim import FloatExecutor

CHAIN = """graph "chain" opset 21 {
  input x: f32[1,3,10,10]
  const w1: f32[8,3,3,3] = randn
  const b1: f32[8] = randn
  const w2: f32[8,1,3,3] = randn
  const b2: f32[8] = randn
  const w3: f32[4,8,1,1] = randn
  node c1 = Conv(x, w1, b1) -> (a: f32[1,8,10,10]) {kernel_shape=[3, 3], P, ACT1}
  node dw = Conv(a, w2, b2) -> (d: f32[1,8,10,10]) {kernel_shape=[3, 3], P, group=8, ACT2}
  node pw = Conv(d, w3) -> (y: f32[1,4,10,10]) {kernel_shape=[1, 1]}
  output y
}"""


def chain(act1: str):
    text = CHAIN.replace("ACT1", act1).replace("ACT2", 'activation="Relu"')
    g = parse_graph(text.replace("P,", "pads=[1, 1, 1, 1],"))
    spread = 10.0 ** np.linspace(-2, 1, 8)               # channel ranges over 3 decades
    g.values["w1"].const = (g.const("w1") * spread[:, None, None, None]).astype(np.float32)
    g.values["b1"].const = (g.const("b1") * spread).astype(np.float32)
    return g


def channel_spread(w):
    r = np.abs(w).reshape(w.shape[0], -1).max(axis=1)
    return r.max() / r.min()


@pytest.mark.parametrize("act1", ['activation="Relu"',
                                  'activation="Clip", activation_params=[0.0]'])
def test_equalize_keeps_the_float_function(act1, rng):
    g = chain(act1)
    before = g.copy()
    x = rng.standard_normal((1, 3, 10, 10)).astype(np.float32)
    ref = FloatExecutor(before).run({"x": x})["y"]
    report = equalize(g, iterations=3)
    out = FloatExecutor(g).run({"x": x})["y"]
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())
    assert [(p.first, p.second) for p in report.pairs] == [("c1", "dw"), ("dw", "pw")]
    assert channel_spread(g.const("w1")) < channel_spread(before.const("w1")) / 10
    assert report.pairs[0].spread_after < report.pairs[0].spread_before / 10
    assert before.const("w1") is not g.const("w1")       # constants replaced, not written
    assert np.array_equal(before.const("w1"), chain(act1).const("w1"))


def test_relu6_chains_are_skipped_with_a_reason():
    g = chain('activation="Clip", activation_params=[0.0, 6.0]')
    w1 = g.const("w1")
    report = equalize(g)
    assert g.const("w1") is w1
    assert "Clip(0, 6)" in report.skipped["c1"]
    assert [(p.first, p.second) for p in report.pairs] == [("dw", "pw")]


def test_homogeneous_activations():
    from npukit.ir import Node
    assert homogeneous(Node("n", "Conv", [], [], {})) == ""
    assert homogeneous(Node("n", "Conv", [], [], {"activation": "Relu"})) == ""
    assert homogeneous(Node("n", "Conv", [], [], {"activation": "Clip",
                                                  "activation_params": [0.0, 6.0]}))
