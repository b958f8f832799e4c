import numpy as np
import onnx
import pytest
from ortcheck import check_node

from npukit.ir import Node
from npukit.ops import TensorType, get_op

I64 = np.int64


def _x(rng, shape=(3, 4, 5)):
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("ishape", [(), (2,), (2, 3)])
def test_gather(rng, axis, ishape):
    x = _x(rng)
    n = x.shape[axis]
    idx = rng.integers(-n, n, ishape).astype(I64)
    check_node("Gather", [("x", x), ("i", idx)], axis=axis)


def test_gather_const_indices_int32(rng):
    check_node("Gather", [("x", _x(rng)), ("i", np.array([[0, -1]], np.int32))],
               consts=("i",), axis=1)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_gather_elements(rng, axis):
    x = _x(rng)
    n = x.shape[axis]
    shape = list(x.shape)
    shape[axis] = 2
    idx = rng.integers(-n, n, shape).astype(I64)
    check_node("GatherElements", [("x", x), ("i", idx)], axis=axis)


@pytest.mark.parametrize("batch_dims,ishape", [(0, (2, 1)), (0, (2, 2)), (0, (4, 3)),
                                               (1, (3, 2, 1)), (1, (3, 2)), (2, (3, 4, 1))])
def test_gather_nd(rng, batch_dims, ishape):
    x = _x(rng)
    k = ishape[-1]
    hi = np.array(x.shape[batch_dims:batch_dims + k])
    idx = (rng.integers(0, 1000, ishape) % hi).astype(I64)
    idx[..., 0] -= hi[0] * (rng.integers(0, 2, ishape[:-1]))  # some negative indices
    check_node("GatherND", [("x", x), ("i", idx)], batch_dims=batch_dims)


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("reduction", ["none", "add", "mul", "max", "min"])
def test_scatter_elements(rng, axis, reduction):
    x = _x(rng)
    n = x.shape[axis]
    shape = list(x.shape)
    shape[axis] = 2
    idx = rng.integers(-n, n, shape).astype(I64)
    if reduction == "none":  # unique targets: repeated ones are undefined
        idx = np.take(np.argsort(rng.random(x.shape), axis=axis), [0, 1], axis=axis) - n
    check_node("ScatterElements", [("x", x), ("i", idx), ("u", _x(rng, shape))], axis=axis,
               reduction=reduction, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("ishape", [(2, 1), (2, 2), (3, 3)])
@pytest.mark.parametrize("reduction", ["none", "add", "mul", "max", "min"])
def test_scatter_nd(rng, ishape, reduction):
    x = _x(rng)
    k = ishape[-1]
    if reduction == "none":
        flat = rng.permutation(int(np.prod(x.shape[:k])))[:ishape[0]]
        idx = np.stack(np.unravel_index(flat, x.shape[:k]), -1).astype(I64)
    else:
        idx = (rng.integers(0, 1000, ishape) % np.array(x.shape[:k])).astype(I64)
    u = _x(rng, ishape[:-1] + x.shape[k:])
    check_node("ScatterND", [("x", x), ("i", idx), ("u", u)], reduction=reduction,
               rtol=1e-5, atol=1e-6)


def test_infer_gather_symbolic():
    op = get_op("Gather")
    node = Node("n", "Gather", ["x", "i"], ["y"], {"axis": 1})
    ins = [TensorType("float32", ("N", 10, 4)), TensorType("int64", ("B", 2))]
    assert op.infer(node, ins, [None, None])[0].shape == ("N", "B", 2, 4)
    nd = get_op("GatherND")
    node = Node("n", "GatherND", ["x", "i"], ["y"], {"batch_dims": 1})
    ins = [TensorType("float32", ("N", 10, 4)), TensorType("int64", ("N", 7, 1))]
    assert nd.infer(node, ins, [None, None])[0].shape == ("N", 7, 4)


OPS = ["Gather", "GatherElements", "GatherND", "ScatterElements", "ScatterND"]


@pytest.mark.parametrize("op", OPS)
def test_versions_cover_opset21_and_later(op):
    for opset in range(21, onnx.defs.onnx_opset_version() + 1):
        assert onnx.defs.get_schema(op, opset).since_version in get_op(op).versions
