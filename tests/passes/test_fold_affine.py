"""fold_affine: per-channel Mul / Add by constants fold into Conv / Gemm weights and bias."""

import pytest

from npukit.passes.fold_affine import FoldAffine

from .util import assert_golden, assert_same_numerics, assert_unchanged, run_pass

P = FoldAffine


def test_conv_then_add_mul_mul_folds_into_weights_and_bias():
    _, _, report = assert_golden(P(), '''graph g opset 21 {
      input x: f32[1,3,5,5]
      const w: f32[4,3,3,3] = randn
      const s: f32[4,1,1] = [0.5, 2.0, -1.0, 1.5]
      const t: f32[1,4,1,1] = [0.1, 0.2, 0.3, 0.4]
      const s2: f32[] = [2.0]
      node conv = Conv(x, w) -> (y: f32[1,4,3,3])
      node add = Add(y, t) -> (a: f32[1,4,3,3])
      node mul = Mul(s, a) -> (m: f32[1,4,3,3])
      node mul2 = Mul(m, s2) -> (out: f32[1,4,3,3])
      output out
    }''', '''graph g opset 21 {
      input x: f32[1,3,5,5]
      const conv_bias: f32[4] = [0.1, 0.8, -0.6, 1.2]
      const w: f32[4,3,3,3] = <47d4bdeeb355>
      node conv = Conv(x, w, conv_bias) -> (out: f32[1,4,3,3])
      output out
    }''')
    assert [c.node for c in report.changes] == ["add", "mul", "mul2"]


def test_affine_chain_after_a_non_conv_is_merged_scale_first():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[2,3,4]
      const s1: f32[3,1] = [1.0, 2.0, 3.0]
      const t1: f32[3,1] = [0.5, 0.5, 0.5]
      const s2: f32[3,1] = [2.0, 2.0, 0.5]
      const t2: f32[3,1] = [1.0, 0.0, -1.0]
      node r = Relu(x) -> (y: f32[2,3,4])
      node m1 = Mul(y, s1) -> (a: f32[2,3,4])
      node a1 = Add(a, t1) -> (b: f32[2,3,4])
      node m2 = Mul(b, s2) -> (c: f32[2,3,4])
      node a2 = Add(c, t2) -> (out: f32[2,3,4])
      output out
    }''', '''graph g opset 21 {
      input x: f32[2,3,4]
      const a2_const: f32[3,1] = [2.0, 1.0, -0.75]
      const m2_const: f32[3,1] = [2.0, 4.0, 1.5]
      node r = Relu(x) -> (y: f32[2,3,4])
      node m2 = Mul(y, m2_const) -> (m2_scaled: f32[2,3,4])
      node a2 = Add(m2_scaled, a2_const) -> (out: f32[2,3,4])
      output out
    }''')


@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm_column_scale_and_bias(trans_b):
    wshape = "[4,5]" if trans_b else "[5,4]"
    g0, g1, _ = run_pass(P(), f'''graph g opset 21 {{
      input x: f32[3,5]
      const w: f32{wshape} = randn
      const c: f32[4] = randn
      const s: f32[1,4] = [1.0, -2.0, 0.5, 3.0]
      const t: f32[4] = [0.1, 0.2, 0.3, 0.4]
      node gemm = Gemm(x, w, c) -> (y: f32[3,4]) {{beta=0.5, transB={trans_b}}}
      node mul = Mul(y, s) -> (m: f32[3,4])
      node add = Add(t, m) -> (out: f32[3,4])
      output out
    }}''')
    assert [n.op_type for n in g1] == ["Gemm"] and g1.nodes[0].attr("beta") == 1.0
    assert_same_numerics(g0, g1)


def test_no_fold_of_spatial_constants_shared_conv_or_dynamic_operands():
    assert_unchanged(P(), '''graph g opset 21 {
      input x: f32[1,2,3,3]
      input d: f32[1,2,3,3]
      const w: f32[2,2,1,1] = [1.0, 2.0, 3.0, 4.0]
      const sp: f32[3,3] = randn
      const ch: f32[2,1,1] = [1.0, 2.0]
      node c1 = Conv(x, w) -> (y1: f32[1,2,3,3])
      node m1 = Mul(y1, sp) -> (o1: f32[1,2,3,3])
      node c2 = Conv(x, w) -> (y2: f32[1,2,3,3])
      node m2 = Mul(y2, ch) -> (o2: f32[1,2,3,3])
      node c3 = Conv(x, w) -> (y3: f32[1,2,3,3])
      node m3 = Add(y3, d) -> (o3: f32[1,2,3,3])
      output o1
      output o2
      output y2
      output o3
    }''')
