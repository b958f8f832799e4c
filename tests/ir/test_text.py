"""The text form is stable and parses back exactly."""

import numpy as np
import pytest

from npukit.errors import GraphError
from npukit.ir import Graph, Node, parse_graph, print_graph

TEXT = '''graph tiny opset 21 {
  input x: f32[N,3,8,8]
  const "odd name:1": i64[2] = [1, -1]
  const b: f32[4] = [0.5, -0.25, 1e-30, 3.0]
  const w: f32[4,3,3,3] = randn
  node conv = Conv(x, w, b) -> (y: f32[N,4,8,8]) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
  node r = Reshape(y, "odd name:1") -> (z: f32[?,?])
  node s = Split(z, "") -> (p: ?, "") {axis=1, note="a \\"quoted\\" string", t=tensor(f32[2]: [1.5, nan])}
  output z
  output p
}
'''


def test_round_trip_is_exact():
    g = parse_graph(TEXT)
    text = print_graph(g)
    g2 = parse_graph(text, tensors=g.constants())
    assert print_graph(g2) == text
    for name, arr in g.constants().items():
        np.testing.assert_array_equal(arr, g2.constants()[name])


def test_printed_form_is_stable_and_readable():
    g = parse_graph(TEXT)
    text = print_graph(g)
    assert text.splitlines()[0] == "graph tiny opset 21 {"
    assert '  const "odd name:1": i64[2] = [1, -1]' in text
    assert "  const w: f32[4,3,3,3] = <" in text     # large constants by digest
    assert 'node r = Reshape(y, "odd name:1") -> (z: f32[?,?])' in text
    assert text == print_graph(parse_graph(text, tensors=g.constants()))


def test_floats_round_trip_bit_exact():
    vals = np.array([0.1, 1 / 3, 1e-38, 3.4e38, -0.0, 2.5], np.float32)
    g = Graph("f")
    g.add_const("c", vals)
    g.add_input("x", "float32", (6,))
    g.add_node(Node("a", "Add", ["x", "c"], ["y"], {"alpha": float(np.float32(0.1))}))
    g.outputs = ["y"]
    g2 = parse_graph(print_graph(g))
    assert g2.const("c").tobytes() == vals.tobytes()
    assert np.float32(g2.node("a").attrs["alpha"]) == np.float32(0.1)


def test_digest_needs_matching_data():
    g = parse_graph(TEXT)
    text = print_graph(g)
    with pytest.raises(GraphError, match="pass its data"):
        parse_graph(text)
    bad = dict(g.constants())
    bad["w"] = bad["w"] + 1
    with pytest.raises(GraphError, match="does not match"):
        parse_graph(text, tensors=bad)


@pytest.mark.parametrize("text,msg", [
    ("grph x opset 1 {}", "must start with 'graph'"),
    ("graph x opset 21 { input a: q8[1] }", "unknown element type"),
    ("graph x opset 21 { frob a }", "unknown statement"),
    ("graph x opset 21 { const c: f32[2] = bogus }", "unknown initialiser"),
    ("graph x opset 21 { node n = Relu(a -> (b) }", "expected"),
])
def test_parse_errors_are_clear(text, msg):
    with pytest.raises(GraphError, match=msg):
        parse_graph(text)
