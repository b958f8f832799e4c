"""fold_pad: a constant Pad folds into the pads of the Conv / pool that reads it."""

from npukit.passes.fold_pad import FoldPad

from .util import assert_golden, assert_unchanged

P = FoldPad


def test_zero_pad_into_conv_adds_to_its_pads():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[1,2,5,5]
      const pads: i64[8] = [0, 0, 1, 2, 0, 0, 1, 0]
      const w: f32[3,2,3,3] = randn
      node p = Pad(x, pads) -> (xp: f32[1,2,7,7])
      node c = Conv(xp, w) -> (out: f32[1,3,6,6]) {pads=[1, 0, 0, 1]}
      output out
    }''', '''graph g opset 21 {
      input x: f32[1,2,5,5]
      const w: f32[3,2,3,3] = <e4cca8142dd7>
      node c = Conv(x, w) -> (out: f32[1,3,6,6]) {pads=[2, 2, 1, 1]}
      output out
    }''')


def test_pad_with_axes_into_average_pool_counting_pads():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[1,2,4]
      const pads: i64[2] = [1, 1]
      const axes: i64[1] = [-1]
      const zero: f32[] = [0.0]
      node p = Pad(x, pads, zero, axes) -> (xp: f32[1,2,6])
      node a = AveragePool(xp) -> (o: f32[1,2,4]) {count_include_pad=1, kernel_shape=[3]}
      output o
    }''', '''graph g opset 21 {
    input x: f32[1,2,4]
    node a = AveragePool(x) -> (o: f32[1,2,4]) {count_include_pad=1, kernel_shape=[3], pads=[1, 1]}
    output o
    }''')


def test_max_pool_takes_minus_inf_pads_or_zero_pads_after_relu():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[1,2,4,4]
      const pads: i64[8] = [0, 0, 1, 1, 0, 0, 1, 1]
      const ninf: f32[] = [-inf]
      node p = Pad(x, pads, ninf) -> (xp: f32[1,2,6,6])
      node m = MaxPool(xp) -> (y: f32[1,2,4,4]) {kernel_shape=[3, 3]}
      node r = Relu(y) -> (z: f32[1,2,4,4])
      node p2 = Pad(z, pads) -> (zp: f32[1,2,6,6])
      node m2 = MaxPool(zp) -> (out: f32[1,2,4,4]) {kernel_shape=[3, 3]}
      output out
    }''', '''graph g opset 21 {
      input x: f32[1,2,4,4]
      node m = MaxPool(x) -> (y: f32[1,2,4,4]) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
      node r = Relu(y) -> (z: f32[1,2,4,4])
      node m2 = MaxPool(z) -> (out: f32[1,2,4,4]) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
      output out
    }''')


def test_pads_that_change_results_stay():
    assert_unchanged(P(), '''graph g opset 21 {
      input x: f32[1,2,4,4]
      const pads: i64[8] = [0, 0, 1, 1, 0, 0, 1, 1]
      const cpads: i64[8] = [0, 1, 1, 1, 0, 0, 1, 1]
      const one: f32[] = [1.0]
      const w: f32[3,2,3,3] = randn
      node p1 = Pad(x, pads) -> (a: f32[1,2,6,6])
      node m1 = MaxPool(a) -> (o1: f32[1,2,4,4]) {kernel_shape=[3, 3]}
      node p2 = Pad(x, pads) -> (b: f32[1,2,6,6])
      node a2 = AveragePool(b) -> (o2: f32[1,2,4,4]) {kernel_shape=[3, 3]}
      node p3 = Pad(x, pads, one) -> (c: f32[1,2,6,6])
      node c3 = Conv(c, w) -> (o3: f32[1,3,4,4])
      node p4 = Pad(x, cpads) -> (d: f32[1,3,6,6])
      node p5 = Pad(x, pads) -> (e: f32[1,2,6,6]) {mode="reflect"}
      node c5 = Conv(e, w) -> (o5: f32[1,3,4,4])
      output o1
      output o2
      output o3
      output d
      output o5
    }''')
