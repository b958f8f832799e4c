"""One test per NPU-support constraint, on tiny graphs in the IR text form."""

from __future__ import annotations

import sys

import pytest

from npukit.ir import parse_graph
from npukit.ops import infer_graph
from npukit.targets import CONSTRAINTS, check_node, load_target, npu_supports
from npukit.targets.constraints import (
    conditions,
    constraint_batch,
    constraint_channels,
    constraint_dilation,
    constraint_dtype,
    constraint_float_on_int_npu,
    constraint_kernel_size,
    constraint_op_supported,
    constraint_rank,
    constraint_static_shape,
    constraint_stride,
    constraint_transpose_hw,
    general_conditions,
)


def one_node(body: str, inputs: str = "input x: f32[1,3,8,8]"):
    g = parse_graph(f"graph t opset 21 {{\n  {inputs}\n  {body}\n  output y\n}}")
    return g.nodes[-1], g


def conv(w: str = "f32[4,3,3,3]", attrs: str = "", x: str = "f32[1,3,8,8]"):
    node, g = one_node(f"const w: {w} = randn\n  node c1 = Conv(x, w) -> (y: ?) {{{attrs}}}",
                       f"input x: {x}")
    infer_graph(g)
    return node, g


def test_every_constraint_has_its_own_test():
    tests = {n for n in dir(sys.modules[__name__]) if n.startswith("test_constraint_")}
    assert {f"test_{c.name}" for c in CONSTRAINTS} <= tests
    assert len({c.name for c in CONSTRAINTS}) == len(CONSTRAINTS)


def test_constraint_op_supported():
    rk, nv = load_target("rk3588"), load_target("nvdla-small")
    node, g = one_node("node k = TopK(x, kk) -> (y: ?, i: ?) {axis=1}",
                       "input x: f32[1,8]\n  input kk: i64[1]")
    ok, reason = constraint_op_supported(node, g, rk)
    assert not ok and "'k'" in reason and "TopK" in reason and "rk3588" in reason
    node, g = one_node("node s = Softmax(x) -> (y: ?)")
    assert constraint_op_supported(node, g, rk)[0]
    ok, reason = constraint_op_supported(node, g, nv)  # allow-list target
    assert not ok and "ops.supported" in reason
    node, g = one_node("node m = com.acme::Magic(x) -> (y: ?)")
    assert not constraint_op_supported(node, g, rk)[0]


def test_constraint_dtype():
    rk = load_target("rk3588")
    node, g = one_node("node s = Shape(x) -> (y: i64[4])")
    ok, reason = constraint_dtype(node, g, rk)
    assert not ok and "int64" in reason and "'y'" in reason and "rk3588" in reason
    node, g = one_node("node r = Relu(x) -> (y: i8[1,3,8,8])", "input x: i8[1,3,8,8]")
    assert constraint_dtype(node, g, rk)[0]


def test_constraint_float_on_int_npu():
    node, g = one_node("node r = Relu(x) -> (y: f32[1,3,8,8])")
    ok, reason = constraint_float_on_int_npu(node, g, load_target("v853"))
    assert not ok and "integer-only" in reason and "v853" in reason and "'r'" in reason
    assert constraint_float_on_int_npu(node, g, load_target("rk3588"))[0]
    node, g = one_node("node r = Relu(x) -> (y: u8[1,3,8,8])", "input x: u8[1,3,8,8]")
    assert constraint_float_on_int_npu(node, g, load_target("v853"))[0]


def test_constraint_static_shape():
    rk = load_target("rk3588")
    node, g = one_node("node r = Relu(x) -> (y: f32[N,3,8,8])", "input x: f32[N,3,8,8]")
    ok, reason = constraint_static_shape(node, g, rk)
    assert not ok and "static" in reason and "'x'" in reason and "N" in reason
    node, g = one_node("node r = Relu(x) -> (y: ?)")
    assert not constraint_static_shape(node, g, rk)[0]  # unknown shape is not static
    node, g = one_node("node r = Relu(x) -> (y: f32[1,3,8,8])")
    assert constraint_static_shape(node, g, rk)[0]


def test_constraint_rank():
    v853 = load_target("v853")  # rank_max = 4
    node, g = one_node("node r = Relu(x) -> (y: u8[1,2,3,4,5])", "input x: u8[1,2,3,4,5]")
    ok, reason = constraint_rank(node, g, v853)
    assert not ok and "rank 5" in reason and "limit of 4" in reason
    assert constraint_rank(node, g, load_target("generic-int8"))[0]  # no limit


def test_constraint_batch():
    v853 = load_target("v853")  # batch_max = 1
    node, g = one_node("node r = Relu(x) -> (y: u8[4,3,8,8])", "input x: u8[4,3,8,8]")
    ok, reason = constraint_batch(node, g, v853)
    assert not ok and "batch 4" in reason and "limit of 1" in reason
    node, g = one_node("node r = Relu(x) -> (y: u8[1,3,8,8])", "input x: u8[1,3,8,8]")
    assert constraint_batch(node, g, v853)[0]


def test_constraint_kernel_size():
    v853 = load_target("v853")  # kernel ≤ 15
    node, g = conv("f32[4,3,17,17]", "pads=[8, 8, 8, 8]")
    ok, reason = constraint_kernel_size(node, g, v853)
    assert not ok and "17×17" in reason and "limit of 15" in reason and "'c1'" in reason
    assert constraint_kernel_size(*conv(), v853)[0]
    node, g = one_node("node p = MaxPool(x) -> (y: ?) {kernel_shape=[16, 16]}")
    assert not constraint_kernel_size(node, g, v853)[0]


def test_constraint_stride():
    v853 = load_target("v853")  # stride ≤ 2
    node, g = conv(attrs="strides=[3, 3]")
    ok, reason = constraint_stride(node, g, v853)
    assert not ok and "stride 3×3" in reason and "limit of 2" in reason
    assert constraint_stride(*conv(attrs="strides=[2, 2]"), v853)[0]


def test_constraint_dilation():
    rk = load_target("rk3588")  # dilation ≤ 31
    node, g = conv(attrs="dilations=[32, 32], pads=[32, 32, 32, 32]")
    ok, reason = constraint_dilation(node, g, rk)
    assert not ok and "dilation 32×32" in reason and "rk3588" in reason
    assert constraint_dilation(*conv(attrs="dilations=[2, 2]"), rk)[0]


def test_constraint_channels():
    rk = load_target("rk3588")  # channels ≤ 8192
    node, g = conv("f32[9000,3,1,1]")
    ok, reason = constraint_channels(node, g, rk)
    assert not ok and "9000 output channels" in reason
    node, g = conv("f32[8,1,1,1]", "group=9000", x="f32[1,9000,2,2]")
    ok, reason = constraint_channels(node, g, rk)
    assert not ok and "9000 input channels" in reason
    assert constraint_channels(*conv(), rk)[0]


def test_constraint_transpose_hw():
    rk = load_target("rk3588")  # H×W ≤ 8192
    big = "node t = Transpose(x) -> (y: ?) {perm=[0, 1, 3, 2]}"
    node, g = one_node(big, "input x: f32[1,3,128,128]")
    ok, reason = constraint_transpose_hw(node, g, rk)
    assert not ok and "128×128 = 16384" in reason and "8192" in reason and "'t'" in reason
    node, g = one_node(big, "input x: f32[1,3,64,128]")
    assert constraint_transpose_hw(node, g, rk)[0]
    node, g = one_node(big, "input x: f32[1,3,128,128]")
    assert constraint_transpose_hw(node, g, load_target("ascend310"))[0]  # no limit there


def test_check_node_and_npu_supports():
    v853 = load_target("v853")
    node, g = conv("f32[4,3,17,17]", "pads=[8, 8, 8, 8]")
    verdicts = check_node(node, g, v853)
    assert [n for n, _, _ in verdicts] == [c.name for c in CONSTRAINTS]
    ok, reasons = npu_supports(node, g, v853)
    assert not ok and len(reasons) == 2  # float on an int-only NPU, kernel too large
    ok, reasons = npu_supports(*conv(), load_target("rk3588"))
    assert ok and reasons == []


@pytest.mark.parametrize("name", ["rk3588", "v853", "nvdla-full", "generic-int8"])
def test_conditions_come_from_the_profile(name):
    t = load_target(name)
    conds = conditions("Conv", t)
    if t.ops.kernel_max:
        assert f"kernel ≤ {t.ops.kernel_max}" in conds
    assert conditions("Relu", t) == []
    assert any("static" in c for c in general_conditions(t))
