"""cancel_transpose_reshape: Transpose pairs compose, reshape-like pairs collapse."""

from npukit.passes.cancel_transpose_reshape import CancelTransposeReshape

from .util import assert_golden, assert_unchanged

P = CancelTransposeReshape


def test_chain_of_transposes_and_reshapes():
    _, _, report = assert_golden(P(), '''graph g opset 21 {
      input x: f32[2,3,4,5]
      const s1: i64[2] = [6, 20]
      const s2: i64[3] = [2, 3, 20]
      const ax: i64[1] = [1]
      node t1 = Transpose(x) -> (a: f32[2,4,3,5]) {perm=[0, 2, 1, 3]}
      node t2 = Transpose(a) -> (b: f32[2,3,4,5]) {perm=[0, 2, 1, 3]}
      node t3 = Transpose(b) -> (c: f32[3,2,4,5]) {perm=[1, 0, 2, 3]}
      node t4 = Transpose(c) -> (d: f32[5,3,4,2]) {perm=[3, 0, 2, 1]}
      node r1 = Reshape(d, s1) -> (e: f32[6,20])
      node r2 = Reshape(e, s2) -> (f: f32[2,3,20])
      node u = Unsqueeze(f, ax) -> (h: f32[2,1,3,20])
      node q = Squeeze(h, ax) -> (out: f32[2,3,20])
      output out
    }''', '''graph g opset 21 {
      input x: f32[2,3,4,5]
      const q_shape: i64[3] = [2, 3, 20]
      node t4 = Transpose(x) -> (d: f32[5,3,4,2]) {perm=[3, 1, 2, 0]}
      node q = Reshape(d, q_shape) -> (out: f32[2,3,20])
      output out
    }''')
    assert [c.rule for c in report.changes] == ["compose_transposes"] * 2 + [
        "collapse_reshapes"] * 3


def test_inverse_transposes_cancel_into_the_graph_output():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[2,3,4]
      node n = Neg(x) -> (y: f32[2,3,4])
      node t1 = Transpose(y) -> (a: f32[4,2,3]) {perm=[2, 0, 1]}
      node t2 = Transpose(a) -> (out: f32[2,3,4]) {perm=[1, 2, 0]}
      output out
    }''', '''graph g opset 21 {
      input x: f32[2,3,4]
      node n = Neg(x) -> (out: f32[2,3,4])
      output out
    }''')


def test_squeeze_unsqueeze_on_same_axes_with_dynamic_dims():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[N,1,8]
      const ax: i64[1] = [-2]
      const ax1: i64[1] = [1]
      node q = Squeeze(x, ax1) -> (s: f32[N,8])
      node u = Unsqueeze(s, ax) -> (t: f32[N,1,8])
      node n = Neg(t) -> (out: f32[N,1,8])
      output out
    }''', '''graph g opset 21 {
      input x: f32[N,1,8]
      node n = Neg(x) -> (out: f32[N,1,8])
      output out
    }''', numeric=False)


def test_shared_inner_transpose_stays_and_dynamic_reshape_stays():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[2,3,4]
      node t1 = Transpose(x) -> (a: f32[4,3,2])
      node t2 = Transpose(a) -> (b: f32[3,4,2]) {perm=[1, 0, 2]}
      output a
      output b
    }''', '''graph g opset 21 {
      input x: f32[2,3,4]
      node t1 = Transpose(x) -> (a: f32[4,3,2])
      node t2 = Transpose(x) -> (b: f32[3,4,2]) {perm=[1, 2, 0]}
      output a
      output b
    }''')
    assert_unchanged(P(), '''graph g opset 21 {
      input x: f32[N,3,4]
      input shp: i64[2]
      const s1: i64[2] = [0, 12]
      node r1 = Reshape(x, shp) -> (a: f32[?,?])
      node r2 = Reshape(a, s1) -> (out: f32[?,12])
      node q = Squeeze(x) -> (b: f32[N,3,4])
      output out
      output b
    }''')
