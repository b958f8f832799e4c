from npukit.ir import parse_graph, print_graph
from npukit.passes.fuse_clamp import FuseClamp

BEFORE = '''graph g opset 21 {
  input x: f32[1,2,4,4]
  const w: f32[2,2,1,1] = randn
  const w2: f32[2,2,1,1] = randn
  node c1 = Conv(x, w) -> (a: f32[1,2,4,4])
  node r = Relu(a) -> (b: f32[1,2,4,4])
  node c2 = Conv(b, w2) -> (c: f32[1,2,4,4])
  node s = Sigmoid(c) -> (y: f32[1,2,4,4])
  output y
}'''


def test_fuses_relu_but_not_sigmoid():
    g = parse_graph(BEFORE)
    log = FuseClamp().run(g)
    assert [(f.rule, f.node) for f in log] == [("fuse_clamp", "r")]
    text = print_graph(g)
    assert 'node c1 = Conv(x, w) -> (b: f32[1,2,4,4]) {activation="Relu", ' \
           'activation_params=[]}' in text
    assert "node s = Sigmoid(c)" in text
