"""fuse_activation: an activation after Conv / Gemm / MatMul becomes the producer's attribute."""

import numpy as np
import pytest

from npukit.errors import UnsupportedOpError
from npukit.ir import Node, parse_graph
from npukit.ops.fused import apply_activation
from npukit.passes.fuse_activation import FuseActivation
from npukit.sim import FloatExecutor

from .util import assert_golden, assert_same_numerics, assert_unchanged, random_feeds, run_pass

P = FuseActivation

MIXED = '''graph g opset 21 {
  input x: f32[1,3,6,6]
  input v: f32[2,5]
  const w: f32[4,3,3,3] = randn
  const b: f32[4] = randn
  const lo: f32[] = [0.0]
  const hi: f32[] = [6.0]
  const gw: f32[5,3] = randn
  const mw: f32[3,2] = randn
  const w2: f32[4,4,3,3] = randn
  const w3: f32[2,4,1,1] = randn
  node c1 = Conv(x, w, b) -> (y1: f32[1,4,6,6]) {pads=[1, 1, 1, 1]}
  node r1 = Clip(y1, lo, hi) -> (z1: f32[1,4,6,6])
  node c2 = Conv(z1, w2) -> (y2: f32[1,4,4,4])
  node hs = HardSwish(y2) -> (z2: f32[1,4,4,4])
  node gm = Gemm(v, gw) -> (g1: f32[2,3])
  node lr = LeakyRelu(g1) -> (h1: f32[2,3]) {alpha=0.2}
  node mm = MatMul(h1, mw) -> (m1: f32[2,2])
  node sg = Sigmoid(m1) -> (out2: f32[2,2])
  node c3 = Conv(z2, w3) -> (y3: f32[1,2,4,4])
  node r3 = Relu(y3) -> (out1: f32[1,2,4,4])
  output out1
  output out2
}'''


def test_conv_relu6_golden():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[1,2,4,4]
      const w: f32[2,2,1,1] = [1.0, -1.0, 2.0, 0.5]
      const lo: f32[] = [0.0]
      const hi: f32[] = [6.0]
      node c = Conv(x, w) -> (y: f32[1,2,4,4])
      node r = Clip(y, lo, hi) -> (out: f32[1,2,4,4])
      output out
    }''', '''graph g opset 21 {
      input x: f32[1,2,4,4]
      const w: f32[2,2,1,1] = [1.0, -1.0, 2.0, 0.5]
      node c = Conv(x, w) -> (out: f32[1,2,4,4]) {activation="Clip", activation_params=[0.0, 6.0]}
      output out
    }''')


def test_clip_with_one_bound_and_gemm_leaky_relu():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[2,3]
      const w: f32[3,2] = [1.0, -1.0, 2.0, 0.5, 0.25, -3.0]
      const lo: f32[] = [-1.0]
      node g1 = Gemm(x, w) -> (y: f32[2,2])
      node c = Clip(y, lo) -> (z: f32[2,2])
      node h = Gemm(z, w) -> (u: f32[2,3]) {transB=1}
      node l = LeakyRelu(u) -> (o: f32[2,3]) {alpha=0.1}
      output o
    }''', '''graph g opset 21 {
    input x: f32[2,3]
    const w: f32[3,2] = [1.0, -1.0, 2.0, 0.5, 0.25, -3.0]
    node g1 = Gemm(x, w) -> (z: f32[2,2]) {activation="Clip", activation_params=[-1.0, inf]}
    node h = Gemm(z, w) -> (o: f32[2,3]) {activation="LeakyRelu", activation_params=[0.1], transB=1}
    output o
    }''')


def test_every_activation_kind_matches_ort_and_the_float_executor():
    g0, g1, report = run_pass(P(), MIXED)
    assert [(c.node, c.op_type) for c in report.changes] == [
        ("r1", "Clip"), ("hs", "HardSwish"), ("lr", "LeakyRelu"), ("sg", "Sigmoid"),
        ("r3", "Relu")]
    assert [n.op_type for n in g1] == ["Conv", "Gemm", "Conv", "MatMul", "Conv"]
    assert [n.attr("activation") for n in g1] == ["Clip", "LeakyRelu", "HardSwish", "Sigmoid",
                                                  "Relu"]
    assert_same_numerics(g0, g1)
    feeds = random_feeds(g0)
    want, got = FloatExecutor(g0).run(feeds), FloatExecutor(g1).run(feeds)
    for k in g0.outputs:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-6)


def test_no_fusion_when_the_producer_has_two_readers_or_is_an_output():
    assert_unchanged(P(), '''graph g opset 21 {
      input x: f32[1,2,4,4]
      const w: f32[2,2,1,1] = [1.0, -1.0, 2.0, 0.5]
      node c = Conv(x, w) -> (y: f32[1,2,4,4])
      node r = Relu(y) -> (a: f32[1,2,4,4])
      node n = Neg(y) -> (b: f32[1,2,4,4])
      node c2 = Conv(x, w) -> (y2: f32[1,2,4,4])
      node r2 = Relu(y2) -> (d: f32[1,2,4,4])
      output a
      output b
      output y2
      output d
    }''')


def test_no_fusion_of_dynamic_clip_bounds_or_other_producers():
    g = parse_graph('''graph g opset 21 {
      input x: f32[1,2,4,4]
      input hi: f32[]
      const w: f32[2,2,1,1] = [1.0, -1.0, 2.0, 0.5]
      node c = Conv(x, w) -> (y: f32[1,2,4,4])
      node r = Clip(y, "", hi) -> (a: f32[1,2,4,4])
      node n = Neg(x) -> (b: f32[1,2,4,4])
      node r2 = Relu(b) -> (d: f32[1,2,4,4])
      output a
      output d
    }''')
    assert_unchanged(P(), g)


def test_unknown_fused_activation_is_a_clear_error():

    node = Node("c", "Conv", ["x", "w"], ["y"], {"activation": "Mish"})
    with pytest.raises(UnsupportedOpError, match="unknown fused activation 'Mish'"):
        apply_activation(node, np.zeros(3, np.float32))
