"""fold_conv_bn: inference BatchNormalization folds into Conv / Gemm / ConvTranspose weights."""

import pytest

from npukit.passes.fold_conv_bn import FoldConvBn

from .util import assert_golden, assert_same_numerics, assert_unchanged, run_pass

P = FoldConvBn

BN_CONSTS = '''
  const scale: f32[4] = [1.0, 0.5, 2.0, 1.5]
  const bias: f32[4] = [0.1, -0.2, 0.3, 0.0]
  const mean: f32[4] = [0.5, -1.0, 0.0, 2.0]
  const var: f32[4] = [1.0, 0.25, 4.0, 0.5]
'''


def test_conv_bn_golden():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[1,3,6,6]
      const w: f32[4,3,3,3] = randn
      const b: f32[4] = randn''' + BN_CONSTS + '''
      node conv = Conv(x, w, b) -> (y: f32[1,4,6,6]) {pads=[1, 1, 1, 1]}
      node bn = BatchNormalization(y, scale, bias, mean, var) -> (out: f32[1,4,6,6]) {epsilon=0.001}
      output out
    }''', '''graph g opset 21 {
      input x: f32[1,3,6,6]
      const b: f32[4] = [-1.9549761, 1.1530821, -1.16483, -2.609936]
      const w: f32[4,3,3,3] = <e28e1401dd91>
      node conv = Conv(x, w, b) -> (out: f32[1,4,6,6]) {pads=[1, 1, 1, 1]}
      output out
    }''')


@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize("bias", ["", ", c"])
def test_gemm_bn(trans_b, bias):
    wshape = "[4,5]" if trans_b else "[5,4]"
    g0, g1, report = run_pass(P(), f'''graph g opset 21 {{
      input x: f32[3,5]
      const w: f32{wshape} = randn
      const c: f32[4] = randn''' + BN_CONSTS + f'''
      node gemm = Gemm(x, w{bias}) -> (y: f32[3,4]) {{alpha=0.5, beta=2.0, transB={trans_b}}}
      node bn = BatchNormalization(y, scale, bias, mean, var) -> (out: f32[3,4])
      output out
    }}''')
    assert [n.op_type for n in g1] == ["Gemm"] and g1.nodes[0].attr("beta") == 1.0
    assert [c.rule for c in report.changes] == ["fold_gemm_bn"]
    assert_same_numerics(g0, g1)


def test_conv_transpose_bn():
    g0, g1, report = run_pass(P(), '''graph g opset 21 {
      input x: f32[1,3,4,4]
      const w: f32[3,4,3,3] = randn''' + BN_CONSTS + '''
      node ct = ConvTranspose(x, w) -> (y: f32[1,4,8,8]) {output_padding=[1, 1],
        pads=[1, 1, 1, 1], strides=[2, 2]}
      node bn = BatchNormalization(y, scale, bias, mean, var) -> (out: f32[1,4,8,8])
      output out
    }''')
    assert [n.op_type for n in g1] == ["ConvTranspose"]
    assert_same_numerics(g0, g1)


def test_standalone_bn_becomes_mul_add():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[2,4,3,3]''' + BN_CONSTS + '''
      node relu = Relu(x) -> (y: f32[2,4,3,3])
      node bn = BatchNormalization(y, scale, bias, mean, var) -> (out: f32[2,4,3,3])
      output out
    }''', '''graph g opset 21 {
      input x: f32[2,4,3,3]
      const bn_scale: f32[4,1,1] = [0.999995, 0.99998, 0.99999875, 2.121299]
      const bn_shift: f32[4,1,1] = [-0.3999975, 0.79998, 0.3, -4.242598]
      node relu = Relu(x) -> (y: f32[2,4,3,3])
      node bn_mul = Mul(y, bn_scale) -> (bn_scaled: f32[2,4,3,3])
      node bn = Add(bn_scaled, bn_shift) -> (out: f32[2,4,3,3])
      output out
    }''')


def test_shared_weights_get_a_new_name():
    g0, g1, _ = run_pass(P(), '''graph g opset 21 {
      input x: f32[1,3,4,4]
      const w: f32[4,3,1,1] = randn''' + BN_CONSTS + '''
      node c1 = Conv(x, w) -> (y1: f32[1,4,4,4])
      node b1 = BatchNormalization(y1, scale, bias, mean, var) -> (o1: f32[1,4,4,4])
      node c2 = Conv(x, w) -> (o2: f32[1,4,4,4])
      output o1
      output o2
    }''')
    assert g1.node("c1").inputs == ["x", "w_folded", "c1_bias"]
    assert g1.node("c2").inputs == ["x", "w"]
    assert_same_numerics(g0, g1)


def test_no_fold_when_conv_is_shared_fused_or_bn_is_dynamic_or_training():
    assert_unchanged(P(decompose=False), '''graph g opset 21 {
      input x: f32[1,3,6,6]
      input dyn: f32[4]
      const w: f32[4,3,1,1] = randn''' + BN_CONSTS + '''
      node c1 = Conv(x, w) -> (y1: f32[1,4,6,6])
      node b1 = BatchNormalization(y1, scale, bias, mean, var) -> (o1: f32[1,4,6,6])
      node c2 = Conv(x, w) -> (y2: f32[1,4,6,6]) {activation="Relu", activation_params=[]}
      node b2 = BatchNormalization(y2, scale, bias, mean, var) -> (o2: f32[1,4,6,6])
      node c3 = Conv(x, w) -> (y3: f32[1,4,6,6])
      node b3 = BatchNormalization(y3, scale, bias, dyn, var) -> (o3: f32[1,4,6,6])
      output o1
      output y1
      output o2
      output o3
    }''')
