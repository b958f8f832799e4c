"""eliminate_identity: Identity, inference Dropout and provable no-ops disappear."""

from npukit.passes.eliminate_identity import EliminateIdentity

from .util import assert_golden, assert_unchanged

P = EliminateIdentity


def test_identity_and_dropout_are_removed():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[2,3]
      node a = Relu(x) -> (y: f32[2,3])
      node i = Identity(y) -> (z: f32[2,3])
      node d = Dropout(z) -> (u: f32[2,3])
      node b = Relu(u) -> (out: f32[2,3])
      output out
    }''', '''graph g opset 21 {
      input x: f32[2,3]
      node a = Relu(x) -> (y: f32[2,3])
      node b = Relu(y) -> (out: f32[2,3])
      output out
    }''')


def test_identity_before_output_keeps_the_output_name():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[4]
      node a = Relu(x) -> (y: f32[4])
      node i = Identity(y) -> (out: f32[4])
      output out
    }''', '''graph g opset 21 {
      input x: f32[4]
      node a = Relu(x) -> (out: f32[4])
      output out
    }''')


def test_noop_reshape_transpose_cast_pad_slice_expand():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[1,3,1,4]
      const shape: i64[4] = [1, 3, 1, 4]
      const pads: i64[8] = [0, 0, 0, 0, 0, 0, 0, 0]
      const starts: i64[1] = [0]
      const ends: i64[1] = [100]
      const axes: i64[1] = [3]
      node r = Reshape(x, shape) -> (a: f32[1,3,1,4])
      node t = Transpose(a) -> (b: f32[1,3,1,4]) {perm=[2, 1, 0, 3]}
      node c = Cast(b) -> (c1: f32[1,3,1,4]) {to=1}
      node p = Pad(c1, pads) -> (d: f32[1,3,1,4])
      node s = Slice(d, starts, ends, axes) -> (e: f32[1,3,1,4])
      node e = Expand(e, shape) -> (f: f32[1,3,1,4])
      node n = Neg(f) -> (out: f32[1,3,1,4])
      output out
    }''', '''graph g opset 21 {
      input x: f32[1,3,1,4]
      node n = Neg(x) -> (out: f32[1,3,1,4])
      output out
    }''')


def test_dropout_in_training_or_with_used_mask_stays():
    assert_unchanged(P(), '''graph g opset 21 {
      input x: f32[2,3]
      const ratio: f32[] = [0.5]
      const train: bool[] = [true]
      node d = Dropout(x, ratio, train) -> (y: f32[2,3])
      node n = Neg(y) -> (out: f32[2,3])
      output out
    }''')
    assert_unchanged(P(), '''graph g opset 21 {
      input x: f32[2,3]
      node d = Dropout(x) -> (y: f32[2,3], mask: bool[2,3])
      node n = Neg(y) -> (out: f32[2,3])
      output out
      output mask
    }''')


def test_real_reshapes_and_transposes_stay():
    assert_unchanged(P(), '''graph g opset 21 {
      input x: f32[2,3,3]
      const shape: i64[2] = [6, 3]
      const starts: i64[1] = [-1]
      const ends: i64[1] = [-100]
      const steps: i64[1] = [-1]
      const axes: i64[1] = [1]
      node r = Reshape(x, shape) -> (a: f32[6,3])
      node t = Transpose(x) -> (b: f32[2,3,3]) {perm=[0, 2, 1]}
      node s = Slice(x, starts, ends, axes, steps) -> (c: f32[2,3,3])
      node c = Cast(x) -> (d: f16[2,3,3]) {to=10}
      output a
      output b
      output c
      output d
    }''')


def test_identity_between_input_and_output_is_left_alone():
    assert_unchanged(P(), '''graph g opset 21 {
      input x: f32[4]
      node i = Identity(x) -> (out: f32[4])
      output out
    }''')
