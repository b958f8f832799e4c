"""fuse_swish: x · sigmoid(x) becomes npukit::Swish(x)."""

import numpy as np

from npukit.passes.fuse_swish import FuseSwish
from npukit.sim import FloatExecutor

from .util import assert_golden, assert_unchanged, random_feeds

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
