"""The pass manager: named pipelines, verify between passes, the report, optimize()."""

import json

import pytest

from npukit.errors import PassError
from npukit.ir import Node, Patch, parse_graph, print_graph
from npukit.passes import PIPELINES, PassManager, RulePass, optimize, pipeline

from .util import assert_same_numerics

MODEL = '''graph m opset 21 {
  input x: f32[1,3,8,8]
  input v: f32[2,16]
  const w: f32[4,3,3,3] = randn
  const b: f32[4] = randn
  const scale: f32[4] = [1.0, 0.5, 2.0, 1.5]
  const bias: f32[4] = randn
  const mean: f32[4] = randn
  const var: f32[4] = [1.0, 0.25, 4.0, 0.5]
  const pads: i64[8] = [0, 0, 1, 1, 0, 0, 1, 1]
  const shape: i64[2] = [1, -1]
  const mw: f32[16,5] = randn
  const mb: f32[5] = randn
  const three: f32[] = [3.0]
  const zero: f32[] = [0.0]
  const six: f32[] = [6.0]
  node id = Identity(x) -> (x1: f32[1,3,8,8])
  node pad = Pad(x1, pads) -> (xp: f32[1,3,10,10])
  node conv = Conv(xp, w, b) -> (y: f32[1,4,8,8])
  node bn = BatchNormalization(y, scale, bias, mean, var) -> (yb: f32[1,4,8,8])
  node relu = Relu(yb) -> (yr: f32[1,4,8,8])
  node sig = Sigmoid(yr) -> (ys: f32[1,4,8,8])
  node sw = Mul(yr, ys) -> (z: f32[1,4,8,8])
  node flat = Reshape(z, shape) -> (out1: f32[1,256])
  node mm = MatMul(v, mw) -> (m: f32[2,5])
  node add = Add(m, mb) -> (ma: f32[2,5])
  node a3 = Add(ma, three) -> (t: f32[2,5])
  node clip = Clip(t, zero, six) -> (r: f32[2,5])
  node hm = Mul(ma, r) -> (hr: f32[2,5])
  node hd = Div(hr, six) -> (out2: f32[2,5])
  node dead = Neg(v) -> (unused: f32[2,16])
  output out1
  output out2
}'''


def test_pipelines_are_named_and_nested():
    assert PIPELINES["O0"] == ()
    assert set(PIPELINES["O1"]) == {"eliminate_identity", "fold_constants",
                                    "eliminate_dead_nodes"}
    assert PIPELINES["O3"][:len(PIPELINES["O2"])] == PIPELINES["O2"]
    assert {"fold_conv_bn", "fuse_matmul_add", "cancel_transpose_reshape",
            "fold_pad"} <= set(PIPELINES["O2"])
    assert [p.name for p in pipeline("O3", disable=["fold_pad"])].count("fold_pad") == 0
    with pytest.raises(PassError, match="O9"):
        pipeline("O9")
    with pytest.raises(PassError, match="no_such_pass"):
        pipeline("O2", disable=["no_such_pass"])


def test_o0_changes_nothing_and_o3_optimises_a_copy():
    g = parse_graph(MODEL)
    text = print_graph(g)
    g0, report0 = optimize(g, level="O0")
    assert print_graph(g0) == text and report0.passes == []
    g3, report = optimize(g, level="O3")
    assert print_graph(g) == text, "optimize must not modify the caller's graph"
    assert g3.op_histogram() == {"Conv": 1, "Gemm": 1, "Reshape": 1, "Swish": 1}
    assert g3.node("mm").attr("activation") == "HardSwish"
    conv = g3.node("conv")
    assert conv.attr("pads") == [1, 1, 1, 1] and conv.attr("activation") == "Relu"
    assert_same_numerics(g, g3)


def test_report_names_every_rule_and_node():
    g3, report = optimize(parse_graph(MODEL), level="O3", dump=True)
    fired = {(c.rule, c.node) for c in report.changes}
    assert {("remove_identity", "id"), ("fold_pad", "conv"), ("fold_conv_bn", "bn"),
            ("fuse_matmul_add", "add"), ("fuse_swish", "sw"), ("fuse_hardswish", "hd"),
            ("fuse_activation", "relu"), ("remove_dead_node", "dead")} <= fired
    assert [p.name for p in report.passes] == list(PIPELINES["O3"])
    assert report.nodes_before == 15 and report.nodes_after == len(g3) == 4
    assert report.passes[-1].dump == print_graph(g3)
    text = report.format(details=True)
    assert "fold_conv_bn" in text and "fuse_swish: sw (Mul)" in text and "15 -> 4 nodes" in text
    data = json.loads(report.to_json())
    assert data["pipeline"] == "O3" and data["passes"][0]["name"] == "eliminate_identity"
    assert data["ops_after"]["Conv"] == 1


class _BreakGraph:
    """A buggy rule: drops a Relu but leaves its readers pointing at the removed output."""

    name = "break_graph"

    def match(self, g, node):
        return Patch(remove=[node]) if node.op_type == "Relu" else None


class _Crash:
    name = "crash"

    def run(self, graph):
        raise KeyError("oops")


class _WrongShape:
    name = "wrong_shape"

    def match(self, g, node):
        if node.op_type != "Relu":
            return None
        return Patch(remove=[node], add=[Node(node.name, "Transpose", list(node.inputs),
                                              list(node.outputs), {"perm": [1, 0]})])


SMALL = '''graph s opset 21 {
  input x: f32[2,3]
  node r = Relu(x) -> (y: f32[2,3])
  node n = Neg(y) -> (out: f32[2,3])
  output out
}'''


@pytest.mark.parametrize("bad,message", [
    (RulePass("break_graph", [_BreakGraph()]), "pass 'break_graph' left graph 's' invalid"),
    (_Crash(), "pass 'crash' failed"),
    (RulePass("wrong_shape", [_WrongShape()]), "pass 'wrong_shape' left graph 's' invalid"),
])
def test_verifier_between_passes_names_the_pass(bad, message):
    manager = PassManager(pipeline("O1") + [bad], name="test")
    with pytest.raises(PassError, match=message):
        manager.run(parse_graph(SMALL))


def test_explicit_pass_list_and_timing():
    g, report = optimize(parse_graph(SMALL), passes=pipeline("O1"), level="mine")
    assert report.pipeline == "mine" and all(p.seconds >= 0 for p in report.passes)
    assert report.changes == [] and len(g) == 2


def test_dump_dir_gets_one_text_form_per_pass(tmp_path):
    g, report = optimize(parse_graph(MODEL), level="O1", dump_dir=tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["00_input.txt", "01_eliminate_identity.txt", "02_fold_constants.txt",
                     "03_eliminate_dead_nodes.txt"]
    assert (tmp_path / "03_eliminate_dead_nodes.txt").read_text() == print_graph(g)
    assert parse_graph((tmp_path / "00_input.txt").read_text(),
                       tensors=parse_graph(MODEL).constants()).name == "m"


def test_o3_is_idempotent():
    g3, _ = optimize(parse_graph(MODEL), level="O3")
    again, report = optimize(g3, level="O3")
    assert report.changes == [] and print_graph(again) == print_graph(g3)


def test_bn_after_matmul_add_folds_once_it_is_a_gemm():
    g = parse_graph('''graph m opset 21 {
      input v: f32[2,16]
      const mw: f32[16,4] = randn
      const mb: f32[4] = randn
      const scale: f32[4] = [1.0, 0.5, 2.0, 1.5]
      const var: f32[4] = [1.0, 0.25, 4.0, 0.5]
      node mm = MatMul(v, mw) -> (m: f32[2,4])
      node add = Add(m, mb) -> (ma: f32[2,4])
      node bn = BatchNormalization(ma, scale, mb, mb, var) -> (out: f32[2,4])
      output out
    }''')
    g2, _ = optimize(g, level="O2")
    assert [n.op_type for n in g2] == ["Gemm"]
    assert_same_numerics(g, g2)
