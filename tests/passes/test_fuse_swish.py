"""fuse_swish: x · sigmoid(x) becomes npukit::Swish(x)."""

import numpy as np
import onnx

from npukit.frontends.onnx import export_model
from npukit.ir import parse_graph
from npukit.passes.fuse_swish import FuseSwish
from npukit.sim import FloatExecutor

from .util import assert_golden, assert_unchanged, ort_outputs, random_feeds

P = FuseSwish


def test_mul_by_own_sigmoid_either_order():
    for mul in ("Mul(x, s)", "Mul(s, x)"):
        g0, g1, _ = assert_golden(P(), f'''graph g opset 21 {{
          input x: f32[2,3]
          node sig = Sigmoid(x) -> (s: f32[2,3])
          node m = {mul} -> (out: f32[2,3])
          output out
        }}''', '''graph g opset 21 {
          input x: f32[2,3]
          node m = npukit::Swish(x) -> (out: f32[2,3])
          output out
        }''')
        feeds = random_feeds(g0)
        np.testing.assert_allclose(FloatExecutor(g1).run(feeds)["out"],
                                   FloatExecutor(g0).run(feeds)["out"], rtol=1e-6, atol=1e-7)


def test_sigmoid_of_another_value_or_read_twice_stays():
    assert_unchanged(P(), '''graph g opset 21 {
      input x: f32[2,3]
      input z: f32[2,3]
      node sig = Sigmoid(z) -> (s: f32[2,3])
      node m = Mul(x, s) -> (a: f32[2,3])
      node sig2 = Sigmoid(x) -> (s2: f32[2,3])
      node m2 = Mul(x, s2) -> (b: f32[2,3])
      output a
      output b
      output s2
    }''')


def test_export_lowers_swish_and_fused_activations_to_standard_onnx():

    g = parse_graph('''graph g opset 21 {
      input x: f32[1,2,4,4]
      const w: f32[2,2,1,1] = [1.0, -1.0, 2.0, 0.5]
      node c = Conv(x, w) -> (y: f32[1,2,4,4]) {activation="Clip", activation_params=[-inf, 6.0]}
      node s = npukit::Swish(y) -> (out: f32[1,2,4,4]) {alpha=1.5}
      output out
    }''')
    model = export_model(g)
    onnx.checker.check_model(model, full_check=True)
    assert [n.op_type for n in model.graph.node] == ["Conv", "Clip", "Mul", "Sigmoid", "Mul"]
    assert [o.domain for o in model.opset_import] == [""]
    assert list(model.graph.node[1].input)[1] == ""  # no lower bound
    feeds = random_feeds(g)
    np.testing.assert_allclose(ort_outputs(g, feeds)[0], FloatExecutor(g).run(feeds)["out"],
                               rtol=1e-5, atol=1e-6)
