"""The one editing mechanism: rules return patches, rewrite() drives them."""

from dataclasses import dataclass

from npukit.ir import Node, Patch, parse_graph, print_graph, rewrite


@dataclass
class DropDoubleRelu:
    name: str = "drop_double_relu"

    def match(self, g, node):
        if node.op_type != "Relu":
            return None
        p = g.producer(node.inputs[0])
        if p is None or p.op_type != "Relu":
            return None
        return Patch(remove=[node], replace={node.outputs[0]: node.inputs[0]})


def test_rule_fires_and_keeps_output_name():
    g = parse_graph('''graph g opset 21 {
      input x: f32[2]
      node a = Relu(x) -> (y: f32[2])
      node b = Relu(y) -> (z: f32[2])
      node c = Relu(z) -> (out: f32[2])
      output out
    }''')
    log = rewrite(g, [DropDoubleRelu()])
    assert [(f.rule, f.node) for f in log] == [("drop_double_relu", "b"),
                                                ("drop_double_relu", "c")]
    assert print_graph(g) == '''graph g opset 21 {
  input x: f32[2]
  node a = Relu(x) -> (out: f32[2])
  output out
}
'''
    g.verify()


def test_replacing_an_output_with_an_input_inserts_identity():
    g = parse_graph('''graph g opset 21 {
      input x: f32[2]
      node a = Neg(x) -> (y: f32[2])
      output y
    }''')

    class DropNeg:
        name = "drop"

        def match(self, g, node):
            return Patch(remove=[node], replace={"y": "x"}) if node.op_type == "Neg" else None

    rewrite(g, [DropNeg()])
    assert g.outputs == ["y"] and g.nodes[0].op_type == "Identity"
    g.verify()


def test_patch_adds_nodes_and_constants_in_order():
    g = parse_graph('''graph g opset 21 {
      input x: f32[2]
      node a = Relu(x) -> (y: f32[2])
      output y
    }''')

    class AddBias:
        name = "add_bias"

        def match(self, g, node):
            if node.op_type != "Relu" or g.consumers(node.outputs[0]):
                return None
            import numpy as np
            return Patch(add=[Node("relu2", "Relu", ["x"], ["y2"]),
                              Node("add", "Add", ["y2", "bias"], ["out2"])],
                         consts={"bias": np.ones(2, np.float32)}, remove=[node],
                         replace={"y": "out2"})

    rewrite(g, [AddBias()])
    assert [n.name for n in g.nodes] == ["relu2", "add"]
    assert g.outputs == ["y"] and g.nodes[-1].outputs == ["y"]
    g.verify()
