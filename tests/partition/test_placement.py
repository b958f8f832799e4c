"""Placement: every node gets an engine and a reason; overrides; segments and transfers."""

from __future__ import annotations

import dataclasses
import json

import pytest
from compiler.models import demo_model, small_model

from npukit.errors import NpukitError
from npukit.partition import place
from npukit.targets import load_target


def _without(target: str, *ops: str):
    t = load_target(target)
    return dataclasses.replace(t, ops=dataclasses.replace(t.ops, unsupported=ops))


def test_every_node_placed_with_a_reason():
    qm = small_model()
    p = place(qm.graph, "rk3588")
    assert [n.node for n in p.nodes] == [n.name for n in qm.graph.nodes]
    assert all(n.reason and n.engine in ("npu", "cpu") for n in p.nodes)
    for n in p.nodes:
        rec_engines = {r.engine for r in p.program.records if n.node in r.sources}
        assert rec_engines == {n.engine}


def test_constraint_reason_sends_node_to_cpu():
    qm = small_model()
    p = place(qm.graph, _without("rk3588", "MaxPool"))
    row = next(n for n in p.nodes if n.node == "pool1")
    assert row.engine == "cpu" and row.by == "target"
    assert "MaxPool is not supported" in row.reason and "ops.unsupported" in row.reason
    assert p.force_float["pool1"] == row.reason


def test_profile_allow_list_reason():
    p = place(small_model().graph, "nvdla-small")
    row = next(n for n in p.nodes if n.node == "soft1")
    assert row.engine == "cpu" and "ops.supported" in row.reason


def test_lowering_reason_when_constraints_pass():
    g = small_model().graph.copy()
    g.values["m1"].quant = None                # the Mul output stays float
    p = place(g, "rk3588")                     # rk3588 has a float path: constraints pass
    row = next(n for n in p.nodes if n.node == "mul1")
    assert row.engine == "cpu" and row.by == "lowering"
    assert "'m1' is not quantized" in row.reason


def test_integer_only_npu_rejects_float_values():
    g = small_model().graph.copy()
    g.values["m1"].quant = None
    row = next(n for n in place(g, "generic-int8").nodes if n.node == "mul1")
    assert row.by == "target" and "integer-only" in row.reason


def test_override_by_name_and_op_type():
    qm = small_model()
    p = place(qm.graph, "rk3588", cpu=["conv2", "Add"])
    by = {n.node: n for n in p.nodes}
    assert by["conv2"].engine == "cpu" and by["conv2"].by == "user"
    assert "node 'conv2'" in by["conv2"].reason
    assert by["add1"].engine == "cpu" and "op type Add" in by["add1"].reason
    assert by["conv1"].engine == "npu"
    # a node name wins over an op type
    p = place(qm.graph, "rk3588", cpu=["Conv"], npu=["conv1"])
    by = {n.node: n for n in p.nodes}
    assert by["conv1"].engine == "npu" and by["conv2"].engine == "cpu"


def test_unknown_override_suggests_nearest():
    with pytest.raises(NpukitError, match=r"(?s)'conv3'.*did you mean 'conv[12]'"):
        place(small_model().graph, "rk3588", cpu=["conv3"])
    with pytest.raises(NpukitError, match="did you mean 'MaxPool'"):
        place(small_model().graph, "rk3588", npu=["Maxpool"])


def test_both_sides_is_an_error():
    with pytest.raises(NpukitError, match="both the CPU and the NPU"):
        place(small_model().graph, "rk3588", cpu=["conv1"], npu=["conv1"])


def test_forcing_an_impossible_op_onto_npu_raises_with_why():
    with pytest.raises(NpukitError, match=r"cannot be forced onto nvdla-small's NPU.*"
                       r"ops\.supported"):
        place(small_model().graph, "nvdla-small", npu=["soft1"])
    g = small_model().graph.copy()
    g.values["m1"].quant = None
    with pytest.raises(NpukitError, match="mul1.*not quantized"):
        place(g, "rk3588", npu=["mul1"])


def test_forced_npu_when_possible():
    p = place(small_model().graph, "rk3588", npu=["Conv"])
    assert all(n.engine == "npu" for n in p.nodes if n.op_type == "Conv")


def test_segments_and_transfers_match_program():
    p = place(small_model().graph, "rk3588", cpu=["add1"])
    segs = p.segments
    assert segs[0].start == 0 and segs[-1].end == len(p.program.records)
    for a, b in zip(segs, segs[1:]):
        assert a.end == b.start and a.engine != b.engine
    kinds = [r.kernel for r in p.program.records]
    assert p.transfers == {"quantize": kinds.count("Quantize"),
                           "dequantize": kinds.count("Dequantize")}
    assert p.transfers["quantize"] >= 2          # input + after the forced CPU Add


def test_report_text_and_json():
    p = place(demo_model().graph, "nvdla-small", cpu=["/Flatten"])
    text = p.format()
    assert "placement on nvdla-small" in text and "/Flatten" in text
    assert "segments:" in text and "transfers:" in text
    d = json.loads(json.dumps(p.to_json()))
    assert d["target"] == "nvdla-small" and d["counts"]["cpu"] >= 1
    assert {n["node"] for n in d["nodes"]} == {n.name for n in demo_model().graph.nodes}


def test_weight_dtype_not_held_by_target():
    qm = demo_model("int4")
    p = place(qm.graph, "v853")                  # v853 takes int8/uint8/int16 weights
    convs = [n for n in p.nodes if n.op_type == "Conv"]
    assert convs and all(n.engine == "cpu" and "int4" in n.reason for n in convs)
    assert all(n.engine == "npu" for n in place(qm.graph, "rk3588").nodes
               if n.op_type == "Conv")


@pytest.mark.parametrize("target", ["rk3588", "ascend310", "hi3519dv500", "nvdla-small"])
def test_conv_transpose_runs_on_npus_that_deconvolve(target):
    """RKNPU, Ascend, SVP and NVDLA run deconvolution: a quantized ConvTranspose is an
    integer NPU record there, not a CPU fallback."""
    import numpy as np

    from npukit.ir import parse_graph
    from npukit.quant.quantizer import quantize
    g = parse_graph('''graph d opset 21 {
      input x: f32[1,4,6,6]
      const w: f32[4,3,4,4] = randn
      const b: f32[3] = randn
      node up = ConvTranspose(x, w, b) -> (y: ?) {strides=[2, 2], pads=[1, 1, 1, 1]}
      output y
    }''')
    data = [{"x": np.random.default_rng(i).standard_normal((1, 4, 6, 6)).astype(np.float32)}
            for i in range(4)]
    p = place(quantize(g, data, show_progress=False).graph, target)
    row, = [n for n in p.nodes if n.node == "up"]
    assert row.engine == "npu" and "integer kernel" in row.reason
    assert [r.engine for r in p.program.records if r.kernel == "ConvTranspose"] == ["npu"]
