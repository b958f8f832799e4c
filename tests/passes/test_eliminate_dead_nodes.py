"""eliminate_dead_nodes: unread nodes (and whole dead branches) disappear."""

from npukit.passes.eliminate_dead_nodes import EliminateDeadNodes

from .util import assert_golden, assert_unchanged

P = EliminateDeadNodes


def test_dead_branch_and_its_constants_go():
    _, _, report = assert_golden(P(), '''graph g opset 21 {
      input x: f32[2,3]
      const k: f32[3] = [1.0, 2.0, 3.0]
      node a = Relu(x) -> (y: f32[2,3])
      node d1 = Add(y, k) -> (dead1: f32[2,3])
      node d2 = Neg(dead1) -> (dead2: f32[2,3])
      node b = Neg(y) -> (out: f32[2,3])
      output out
    }''', '''graph g opset 21 {
      input x: f32[2,3]
      node a = Relu(x) -> (y: f32[2,3])
      node b = Neg(y) -> (out: f32[2,3])
      output out
    }''')
    assert sorted(c.node for c in report.changes) == ["d1", "d2"]


def test_nodes_feeding_outputs_stay():
    assert_unchanged(P(), '''graph g opset 21 {
      input x: f32[2,3]
      node a = Relu(x) -> (y: f32[2,3])
      node d = Dropout(y) -> (z: f32[2,3], mask: bool[2,3])
      output z
      output y
    }''')
