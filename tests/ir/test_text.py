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
  node s = Split(z, "") -> (p: ?, "") {axis=1, note="a \\"quoted\\" string",
    t=tensor(f32[2]: [1.5, nan])}
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


def test_quant_params_round_trip():
    from npukit.ir import quant_tensors
    text = '''graph q opset 21 {
  input x: f32[1,3,4,4] ~ i8(scale=0.02, zp=-3)
  const w: f32[20,3,1,1] = randn ~ i8(axis=0, scale=randn, zp=zeros)
  const v: f32[2,3] = randn ~ i8(axis=0, scale=[0.5, 0.25], zp=[0, 0])
  node c = Conv(x, w) -> (y: f32[1,20,4,4] ~ u8(scale=0.1, zp=128))
  output y
}'''
    with pytest.raises(GraphError):
        parse_graph(text)  # per-channel scale given as `randn` is not a value list
    text = text.replace("scale=randn, zp=zeros", "scale=[" + ", ".join(["0.5"] * 20) +
                        "], zp=[" + ", ".join(["0"] * 20) + "]")
    g = parse_graph(text)
    assert g.values["x"].quant.zero_point[0] == -3
    assert g.values["y"].quant.dtype == "uint8"
    assert g.values["w"].quant.axis == 0 and g.values["w"].quant.scale.shape == (20,)
    out = print_graph(g)
    assert "y: f32[1,20,4,4] ~ u8(scale=0.1, zp=128)" in out
    assert "~ i8(axis=0, scale=<" in out          # 20 channels: by digest
    g2 = parse_graph(out, tensors={**g.constants(), **quant_tensors(g)})
    assert print_graph(g2) == out
