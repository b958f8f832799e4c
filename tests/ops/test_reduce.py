import numpy as np
import pytest
from refcheck import check

from npukit.ir import Graph, Node
from npukit.ops import infer_node

REDUCE = ["ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
          "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"]
AXES = [None, [], [0], [1], [-1], [0, 2], [-3, -1], [2, 0, 1]]


def _x(rng, op, shape=(2, 3, 4), dtype=np.float32):
    x = rng.standard_normal(shape) + (2.5 if op == "ReduceLogSum" else 0)
    if op == "ReduceProd":
        x = 1 + 0.2 * x
    return np.abs(x).astype(dtype) if op == "ReduceLogSum" else x.astype(dtype)


def _run(op, x, axes, keepdims=1, noop=0, **kw):
    ins = [("x", x)] + ([("axes", np.array(axes, np.int64))] if axes is not None else [])
    return check(op, ins, consts=("axes",), keepdims=keepdims, noop_with_empty_axes=noop, **kw)


@pytest.mark.parametrize("op", REDUCE)
@pytest.mark.parametrize("axes", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [0, 1])
def test_reduce_axes_keepdims(rng, op, axes, keepdims):
    _run(op, _x(rng, op), axes, keepdims, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", REDUCE)
@pytest.mark.parametrize("axes", [None, []], ids=str)
def test_reduce_noop_with_empty_axes(rng, op, axes):
    _run(op, _x(rng, op), axes, 1, noop=1, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", REDUCE)
def test_reduce_axes_runtime_input(rng, op):
    x = _x(rng, op)
    g = check(op, [("x", x), ("axes", np.array([1], np.int64))], keepdims=0, rtol=1e-5,
              atol=1e-5)
    assert g.values[g.outputs[0]].shape is None or len(g.values[g.outputs[0]].shape) == 2


@pytest.mark.parametrize("op", ["ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin",
                                "ReduceProd", "ReduceL1", "ReduceSumSquare", "ReduceL2"])
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_reduce_int(rng, op, dtype):
    x = rng.integers(-9, 9, (3, 4, 2)).astype(dtype)
    _run(op, x, [1], 1)
    _run(op, x, None, 0)


@pytest.mark.parametrize("op", ["ReduceMax", "ReduceMin"])
@pytest.mark.parametrize("dtype", [np.int8, np.uint8, bool, np.float64, np.float16])
def test_reduce_extreme_dtypes(rng, op, dtype):
    x = rng.integers(0, 9, (3, 4)).astype(dtype)
    _run(op, x, [0], 0)


@pytest.mark.parametrize("op", REDUCE)
@pytest.mark.parametrize("dtype", [np.float64, np.float16])
def test_reduce_float_dtypes(rng, op, dtype):
    rtol = 2e-3 if dtype == np.float16 else 1e-7
    _run(op, _x(rng, op, dtype=dtype), [-1], 0, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("op", REDUCE)
def test_reduce_empty_set(op):
    x = np.zeros((2, 0, 4), np.float32)
    _run(op, x, [1], 1)


def test_reduce_log_sum_exp_large():
    x = np.array([[1000.0, 999.0, -np.inf], [-np.inf, -np.inf, -np.inf]], np.float32)
    _run("ReduceLogSumExp", x, [1], 0)


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("axis", [0, 1, -1, -3])
@pytest.mark.parametrize("keepdims", [0, 1])
@pytest.mark.parametrize("last", [0, 1])
def test_arg(rng, op, axis, keepdims, last):
    x = rng.integers(0, 3, (3, 4, 5)).astype(np.float32)  # many ties
    check(op, [("x", x)], axis=axis, keepdims=keepdims, select_last_index=last)


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.float64])
def test_arg_dtypes(rng, op, dtype):
    check(op, [("x", rng.integers(0, 9, (4, 6)).astype(dtype))], axis=1)


def test_infer_symbolic_and_dynamic_axes():
    g = Graph()
    g.add_input("x", "float32", ("N", 3, "H"))
    g.add_const("a", np.array([1], np.int64))
    g.add_input("d", "int64", (1,))
    t = infer_node(g, Node("n", "ReduceMean", ["x", "a"], ["y"], {"keepdims": 0}))[0]
    assert (t.dtype, t.shape) == ("float32", ("N", "H"))
    t = infer_node(g, Node("n", "ReduceSum", ["x", "d"], ["y"]))[0]
    assert t.shape == ("?", "?", "?")
    t = infer_node(g, Node("n", "ReduceMax", ["x"], ["y"]))[0]
    assert t.shape == (1, 1, 1)
    t = infer_node(g, Node("n", "ArgMax", ["x"], ["y"], {"axis": -1, "keepdims": 0}))[0]
    assert (t.dtype, t.shape) == ("int64", ("N", 3))


@pytest.mark.parametrize("op", ["ReduceMean", "ReduceSum", "ReduceMax", "ReduceL2",
                                "ReduceLogSumExp"])
@pytest.mark.parametrize("axes", [None, [1], [0, -1]], ids=str)
def test_opset13_axes_attribute_is_upgraded(rng, op, axes):
    attrs = {} if axes is None else {"axes": axes}
    check(op, [("x", _x(rng, op))], opset=11 if op == "ReduceSum" else 13, keepdims=0,
          rtol=1e-5, atol=1e-5, **attrs)


@pytest.mark.parametrize("op", ["ReduceMean", "ReduceL2"])
def test_reduce_float16_accumulates_wide(rng, op):
    x = (200 + rng.random((2, 4096))).astype(np.float16)  # the sums overflow float16
    _run(op, x, [1], 0, rtol=1e-3, atol=1e-3)
