"""fold_constants: all-constant nodes run at compile time; Shape of a static value folds."""

import numpy as np

from npukit.ir import parse_graph
from npukit.passes.fold_constants import FoldConstantNode, FoldConstants

from .util import assert_golden, assert_unchanged, run_pass

P = FoldConstants


def test_exporter_shape_chain_folds_to_one_reshape():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[2,3,4]
      const idx: i64[] = [0]
      const ax0: i64[1] = [0]
      const minus1: i64[1] = [-1]
      node s = Shape(x) -> (sh: i64[3])
      node ga = Gather(sh, idx) -> (n: i64[]) {axis=0}
      node u = Unsqueeze(n, ax0) -> (n1: i64[1])
      node c = Concat(n1, minus1) -> (shape: i64[2]) {axis=0}
      node r = Reshape(x, shape) -> (out: f32[2,12])
      output out
    }''', '''graph g opset 21 {
      input x: f32[2,3,4]
      const shape: i64[2] = [2, -1]
      node r = Reshape(x, shape) -> (out: f32[2,12])
      output out
    }''')


def test_arithmetic_on_constants_folds_with_the_kernel():
    _, g1, report = assert_golden(P(), '''graph g opset 21 {
      input x: f32[3]
      const a: f32[3] = [1.0, 2.0, 3.0]
      const b: f32[3] = [0.5, 0.5, 0.5]
      node m = Mul(a, b) -> (ab: f32[3])
      node s = Sub(ab, b) -> (c: f32[3])
      node y = Add(x, c) -> (out: f32[3])
      output out
    }''', '''graph g opset 21 {
      input x: f32[3]
      const c: f32[3] = [0.0, 0.5, 1.0]
      node y = Add(x, c) -> (out: f32[3])
      output out
    }''')
    assert [(c.rule, c.node) for c in report.changes] == [
        ("fold_constant_node", "m"), ("fold_constant_node", "s")]


def test_size_and_shape_with_start_end():
    assert_golden(P(), '''graph g opset 21 {
      input x: f32[2,3,4,5]
      node s = Shape(x) -> (sh: i64[2]) {end=-1, start=1}
      node z = Size(x) -> (n: i64[])
      node c = Cast(sh) -> (shf: f32[2]) {to=1}
      node cn = Cast(n) -> (nf: f32[]) {to=1}
      node a = Add(shf, nf) -> (out: f32[2])
      output out
    }''', '''graph g opset 21 {
      input x: f32[2,3,4,5]
      const nf: f32[] = [120.0]
      const shf: f32[2] = [3.0, 4.0]
      node a = Add(shf, nf) -> (out: f32[2])
      output out
    }''', numeric=False)


def test_constant_of_shape_makes_weights():
    g0, g1, _ = run_pass(P(), '''graph g opset 21 {
      input x: f32[1,2,4,4]
      const wshape: i64[4] = [3, 2, 1, 1]
      node w = ConstantOfShape(wshape) -> (wt: f32[3,2,1,1]) {value=tensor(f32[1]: [0.25])}
      node c = Conv(x, wt) -> (out: f32[1,3,4,4])
      output out
    }''')
    assert [n.op_type for n in g1] == ["Conv"]
    np.testing.assert_array_equal(g1.const("wt"), np.full((3, 2, 1, 1), 0.25, np.float32))


def test_no_fold_of_inputs_outputs_or_dynamic_shapes():
    g = parse_graph('''graph g opset 21 {
      input x: f32[N,3]
      const a: f32[3] = [1.0, 2.0, 3.0]
      node s = Shape(x) -> (sh: i64[2])
      node n = Neg(a) -> (out: f32[3])
      node m = Add(x, a) -> (y: f32[N,3])
      output out
      output y
      output sh
    }''')
    assert_unchanged(P(), g)


def test_random_ops_never_fold():
    g = parse_graph('''graph g opset 21 {
      const a: f32[3] = [1.0, 2.0, 3.0]
      node r = RandomNormalLike(a) -> (noise: f32[3])
      node n = Neg(noise) -> (out: f32[3])
      output out
    }''')
    assert FoldConstantNode().match(g, g.node("r")) is None
