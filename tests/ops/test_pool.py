import numpy as np
import onnx
import pytest
from ortcheck import check_node

from npukit.ir import Node
from npukit.ops import TensorType, get_op


def _x(rng, shape=(2, 3, 9, 8)):
    return rng.standard_normal(shape).astype(np.float32)


GEOMS = [  # kernel, strides, pads, dilations, ceil_mode
    ([3, 3], [1, 1], [0, 0, 0, 0], [1, 1], 0),
    ([3, 3], [2, 2], [1, 1, 1, 1], [1, 1], 0),
    ([2, 2], [2, 2], [0, 0, 0, 0], [1, 1], 1),
    ([3, 2], [2, 3], [1, 0, 2, 1], [1, 1], 1),
    ([3, 3], [1, 1], [2, 2, 2, 2], [2, 2], 0),
    ([2, 3], [2, 2], [0, 1, 1, 0], [2, 1], 1),
]


@pytest.mark.parametrize("k,s,p,d,ceil", GEOMS)
def test_maxpool(rng, k, s, p, d, ceil):
    check_node("MaxPool", [("x", _x(rng))], kernel_shape=k, strides=s, pads=p,
               dilations=d, ceil_mode=ceil)


@pytest.mark.parametrize("k,s,p,d,ceil", GEOMS)
@pytest.mark.parametrize("include", [0, 1])
def test_averagepool(rng, k, s, p, d, ceil, include):
    check_node("AveragePool", [("x", _x(rng))], kernel_shape=k, strides=s, pads=p,
               dilations=d, ceil_mode=ceil, count_include_pad=include)


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER", "VALID"])
def test_pool_auto_pad(rng, op, auto_pad):
    check_node(op, [("x", _x(rng, (1, 2, 7, 6)))], kernel_shape=[3, 2], strides=[2, 2],
               auto_pad=auto_pad)


@pytest.mark.parametrize("storage_order", [0, 1])
@pytest.mark.parametrize("k,s,p,d,ceil", GEOMS[:4])
def test_maxpool_indices(rng, storage_order, k, s, p, d, ceil):
    check_node("MaxPool", [("x", _x(rng))], 2, kernel_shape=k, strides=s, pads=p,
               dilations=d, ceil_mode=ceil, storage_order=storage_order)


@pytest.mark.parametrize("dims", [1, 3])
@pytest.mark.parametrize("op", ["MaxPool", "AveragePool", "LpPool"])
def test_pool_1d_3d(rng, op, dims):
    check_node(op, [("x", _x(rng, (1, 2) + (6,) * dims))], kernel_shape=[3] * dims,
               strides=[2] * dims, pads=[1] * (2 * dims), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8])
def test_maxpool_int(rng, dtype):
    x = rng.integers(0, 100, (1, 2, 6, 6)).astype(dtype)
    check_node("MaxPool", [("x", x)], kernel_shape=[3, 3], pads=[1, 1, 1, 1])


@pytest.mark.parametrize("p", [1, 2, 3])
def test_lppool(rng, p):
    check_node("LpPool", [("x", _x(rng))], kernel_shape=[2, 3], strides=[1, 2],
               pads=[1, 0, 0, 1], p=p, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"])
@pytest.mark.parametrize("shape", [(2, 3, 5, 4), (1, 4, 7), (1, 2, 3, 4, 5)])
def test_global_pools(rng, op, shape):
    check_node(op, [("x", _x(rng, shape))], rtol=1e-5, atol=1e-5)


def test_infer_symbolic_batch_and_size():
    node = Node("n", "MaxPool", ["x"], ["y"], {"kernel_shape": [2, 2], "strides": [2, 2]})
    op = get_op("MaxPool")
    (t,) = op.infer(node, [TensorType("float32", ("N", 3, "H", 8))], [None])
    assert t.shape == ("N", 3, "?", 4)
    node.attrs["auto_pad"] = "SAME_UPPER"
    with pytest.raises(Exception, match="static"):
        op.infer(node, [TensorType("float32", ("N", 3, "H", 8))], [None])


def test_macs():
    node = Node("n", "AveragePool", ["x"], ["y"], {"kernel_shape": [3, 3]})
    op = get_op("AveragePool")
    ins = [TensorType("float32", (1, 2, 5, 5))]
    assert op.macs(node, ins, op.infer(node, ins, [None])) == 2 * 9 * 9


@pytest.mark.parametrize("dims", [1, 3])
@pytest.mark.parametrize("storage_order", [0, 1])
def test_maxpool_indices_1d_3d(rng, dims, storage_order):
    check_node("MaxPool", [("x", _x(rng, (2, 2) + (5,) * dims))], 2, kernel_shape=[2] * dims,
               strides=[2] * dims, pads=[1] * (2 * dims), storage_order=storage_order)


def test_pool_float16(rng):
    x = _x(rng, (1, 2, 6, 6)).astype(np.float16)
    for op in ("MaxPool", "AveragePool"):
        check_node(op, [("x", x)], kernel_shape=[2, 2], rtol=1e-3, atol=1e-3)


OPS = ["MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool", "GlobalLpPool"]


@pytest.mark.parametrize("op", OPS)
def test_versions_cover_opset21_and_later(op):
    for opset in range(21, onnx.defs.onnx_opset_version() + 1):
        assert onnx.defs.get_schema(op, opset).since_version in get_op(op).versions
