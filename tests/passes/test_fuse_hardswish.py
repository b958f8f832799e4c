"""fuse_hardswish: hard-swish spelled out in elementary ops becomes HardSwish(x)."""

import pytest

from npukit.passes.fuse_hardswish import FuseHardswish

from .util import assert_golden, assert_unchanged

P = FuseHardswish

EXPECTED = '''graph g opset 21 {
  input x: f32[2,8]
  node last = HardSwish(x) -> (out: f32[2,8])
  output out
}'''

CONSTS = '''
  const three: f32[] = [3.0]
  const zero: f32[] = [0.0]
  const six: f32[] = [6.0]
  const sixth: f32[] = [0.16666667]
'''

RELU6 = '''
  node add = Add(x, three) -> (t: f32[2,8])
  node clip = Clip(t, zero, six) -> (r: f32[2,8])
'''

VARIANTS = {
    "mul_then_div": '''node m = Mul(x, r) -> (xr: f32[2,8])
      node last = Div(xr, six) -> (out: f32[2,8])''',
    "mul_then_mul_sixth": '''node m = Mul(r, x) -> (xr: f32[2,8])
      node last = Mul(sixth, xr) -> (out: f32[2,8])''',
    "div_then_mul": '''node d = Div(r, six) -> (h: f32[2,8])
      node last = Mul(x, h) -> (out: f32[2,8])''',
    "mul_sixth_then_mul": '''node d = Mul(r, sixth) -> (h: f32[2,8])
      node last = Mul(h, x) -> (out: f32[2,8])''',
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_clip_spellings(variant):
    assert_golden(P(), "graph g opset 21 {\n  input x: f32[2,8]" + CONSTS + RELU6
                  + VARIANTS[variant] + "\n  output out\n}", EXPECTED)


def test_hard_sigmoid_spelling():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[2,8]
      node hs = HardSigmoid(x) -> (h: f32[2,8]) {alpha=0.16666667, beta=0.5}
      node last = Mul(x, h) -> (out: f32[2,8])
      output out
    }''', EXPECTED)


def test_near_misses_stay():
    # HardSigmoid with ONNX's default alpha 0.2 is not hard-swish's gate
    assert_unchanged(P(), '''graph g opset 21 {
      input x: f32[2,8]
      node hs = HardSigmoid(x) -> (h: f32[2,8])
      node last = Mul(x, h) -> (out: f32[2,8])
      output out
    }''')
    # clip to 0..5, and a Clip result that is read twice
    assert_unchanged(P(), "graph g opset 21 {\n  input x: f32[2,8]\n  const five: f32[] = [5.0]"
                     + CONSTS + '''
      node add = Add(x, three) -> (t: f32[2,8])
      node clip = Clip(t, zero, five) -> (r: f32[2,8])
      node m = Mul(x, r) -> (xr: f32[2,8])
      node last = Div(xr, six) -> (out: f32[2,8])
      node add2 = Add(x, three) -> (t2: f32[2,8])
      node clip2 = Clip(t2, zero, six) -> (r2: f32[2,8])
      node m2 = Mul(x, r2) -> (xr2: f32[2,8])
      node last2 = Div(xr2, six) -> (out2: f32[2,8])
      output out
      output out2
      output r2
    }''')
