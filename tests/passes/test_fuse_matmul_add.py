"""fuse_matmul_add: MatMul by a 2-D constant plus a row bias becomes one Gemm."""

from npukit.passes.fuse_matmul_add import FuseMatmulAdd

from .util import assert_golden, assert_unchanged

P = FuseMatmulAdd


def test_matmul_add_becomes_gemm_either_operand_order():
    for add in ("Add(b, y)", "Add(y, b)"):
        assert_golden(P(), f'''graph g opset 21 {{
          input x: f32[2,8]
          const w: f32[8,4] = randn
          const b: f32[4] = randn
          node mm = MatMul(x, w) -> (y: f32[2,4])
          node add = {add} -> (out: f32[2,4])
          output out
        }}''', '''graph g opset 21 {
          input x: f32[2,8]
          const b: f32[4] = [-1.5560033, 0.35578555, -1.465013, 0.7684347]
          const w: f32[8,4] = <63feb5502bbc>
          node mm = Gemm(x, w, b) -> (out: f32[2,4])
          output out
        }''')


def test_row_bias_of_shape_1xn():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[3,2]
      const w: f32[2,2] = [1.0, 2.0, 3.0, 4.0]
      const b: f32[1,2] = [0.5, -0.5]
      node mm = MatMul(x, w) -> (y: f32[3,2])
      node add = Add(y, b) -> (out: f32[3,2])
      output out
    }''', '''graph g opset 21 {
      input x: f32[3,2]
      const b: f32[1,2] = [0.5, -0.5]
      const w: f32[2,2] = [1.0, 2.0, 3.0, 4.0]
      node mm = Gemm(x, w, b) -> (out: f32[3,2])
      output out
    }''')


def test_no_fusion_for_3d_input_full_bias_shared_matmul_or_dynamic_weight():
    assert_unchanged(P(), '''graph g opset 21 {
      input x: f32[2,3,8]
      input x2: f32[2,8]
      input wd: f32[8,4]
      const w: f32[8,4] = randn
      const b: f32[4] = randn
      const full: f32[2,4] = randn
      node m1 = MatMul(x, w) -> (y1: f32[2,3,4])
      node a1 = Add(y1, b) -> (o1: f32[2,3,4])
      node m2 = MatMul(x2, w) -> (y2: f32[2,4])
      node a2 = Add(y2, full) -> (o2: f32[2,4])
      node m3 = MatMul(x2, w) -> (y3: f32[2,4])
      node a3 = Add(y3, b) -> (o3: f32[2,4])
      node m4 = MatMul(x2, wd) -> (y4: f32[2,4])
      node a4 = Add(y4, b) -> (o4: f32[2,4])
      output o1
      output o2
      output o3
      output y3
      output o4
    }''')
