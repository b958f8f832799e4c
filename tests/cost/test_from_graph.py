"""A float IR graph as cost layers: placement by the target's constraints, conversions."""

from __future__ import annotations

import numpy as np
import pytest
from costkit import tiny_graph

from npukit.cost import CostError, estimate, graph_layers
from npukit.ir import Node, Value


def test_nodes_run_on_the_npu_as_int8(toy):
    layers = graph_layers(tiny_graph(), toy)
    assert [(x.name, x.engine, x.kind) for x in layers] == [
        ("x@q", "cpu", "convert"), ("conv", "npu", "conv"), ("relu", "npu", "elementwise"),
        ("r@dq", "cpu", "convert")]
    conv = layers[1]
    assert conv.macs == 16 * 16 * 8 * 9 and conv.in_bytes == (128,)
    assert conv.weight_bytes == 16 * 8 * 9 + 12 * 16       # int8 weights + bias/requant
    assert layers[0].io and layers[-1].io


def test_unsupported_op_goes_to_the_cpu_with_conversions(toy):
    layers = graph_layers(tiny_graph(with_topk=True), toy)
    topk = next(x for x in layers if x.name == "topk")
    assert topk.engine == "cpu" and "TopK" in topk.reason
    assert any(x.name == "r@dq" and not x.io for x in layers)
    rep = estimate(tiny_graph(with_topk=True), toy)
    assert rep.totals["cpu_layers"] == 2 and rep.boundaries


def test_dynamic_input_is_named(toy):
    g = tiny_graph()
    g.values["x"].shape = ("N", 8, 4, 4)
    with pytest.raises(CostError, match="'x'.*dynamic"):
        graph_layers(g, toy)


def test_fp16_layers_use_two_bytes(toy):
    conv = graph_layers(tiny_graph(), toy, "fp16")[1]
    assert conv.dtype == "fp16" and conv.in_bytes == (256,)


def test_a_dtype_the_npu_lacks_runs_on_the_cpu(toy):
    layers = graph_layers(tiny_graph(), toy, "int16")          # toy has int8 / fp16 only
    conv = next(x for x in layers if x.name == "conv")
    assert conv.engine == "cpu" and "npu.macs_per_cycle.int16" in conv.reason


def test_a_view_stays_with_its_producer(toy):
    g = tiny_graph(with_topk=True)
    g.add_const("shape", np.array([1, -1], np.int64))
    g.add_value(Value("flat", "float32", (1, 128)))
    g.add_node(Node("flat", "Reshape", ["v", "shape"], ["flat"]))
    g.outputs = ["flat"]
    layers = graph_layers(g, toy)
    assert next(x for x in layers if x.name == "flat").engine == "cpu"
    assert not [x for x in layers if x.name.startswith("v@")]    # no round trip for a view
