"""Graph queries, topological order and verify()."""

import pytest

from npukit.errors import GraphError
from npukit.ir import Graph, parse_graph


def chain() -> Graph:
    return parse_graph('''graph g opset 21 {
      input x: f32[2]
      node a = Relu(x) -> (y: f32[2])
      node b = Relu(y) -> (z: f32[2])
      node c = Add(y, z) -> (w: f32[2])
      output w
    }''')


def test_producer_consumers():
    g = chain()
    assert g.producer("y").name == "a"
    assert [n.name for n in g.consumers("y")] == ["b", "c"]
    assert g.producer("x") is None
    g.verify()


def test_toposort_restores_order():
    g = chain()
    g.nodes.reverse()
    g.invalidate()
    g.toposort()
    assert [n.name for n in g.nodes] == ["a", "b", "c"]
    g.verify()


def test_cycle_is_reported():
    g = chain()
    g.node("a").inputs = ["w"]
    g.invalidate()
    with pytest.raises(GraphError, match="cycle"):
        g.toposort()


@pytest.mark.parametrize("edit,msg", [
    (lambda g: g.node("b").inputs.__setitem__(0, "nope"), "before it is defined"),
    (lambda g: g.node("b").outputs.__setitem__(0, "y"), "defined twice"),
    (lambda g: setattr(g.node("b"), "name", "a"), "used twice"),
    (lambda g: g.outputs.append("ghost"), "never defined"),
    (lambda g: g.nodes.reverse(), "before it is defined"),
])
def test_verify_names_the_fault(edit, msg):
    g = chain()
    edit(g)
    g.invalidate()
    with pytest.raises(GraphError, match=msg):
        g.verify()


def test_verify_checks_types_with_infer():
    from npukit.ops import infer_node
    g = chain()
    g.verify(infer=infer_node)
    g.values["z"].shape = (3,)
    with pytest.raises(GraphError, match="declared"):
        g.verify(infer=infer_node)


def test_copy_is_independent():
    g = chain()
    h = g.copy()
    h.node("a").attrs["k"] = 1
    h.outputs.append("y")
    assert "k" not in g.node("a").attrs and g.outputs == ["w"]
    assert g.op_histogram() == {"Relu": 2, "Add": 1}
