import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from ortcheck import check_node

from npukit.errors import UnsupportedOpError
from npukit.ir import Node
from npukit.ops import TensorType, get_op
from npukit.ops.generators import ONNX_DTYPES

I64 = np.int64


def _x(rng, shape=(3, 4, 5)):
    return rng.standard_normal(shape).astype(np.float32)


def test_dtype_table_matches_onnx():
    for code, name in ONNX_DTYPES.items():
        want = helper.tensor_dtype_to_np_dtype(code)
        assert name == ("str" if want.kind in "OU" else want.name)


@pytest.mark.parametrize("to", [TensorProto.FLOAT16, TensorProto.DOUBLE, TensorProto.INT32,
                                TensorProto.INT8, TensorProto.UINT8, TensorProto.INT64,
                                TensorProto.BOOL])
def test_cast_from_float(rng, to):
    x = (_x(rng) * 50).astype(np.float32)
    x[0, 0, :3] = [0.0, -0.0, 0.5]
    if to in (TensorProto.INT8, TensorProto.UINT8):
        x = np.clip(x, 0, 100)
    check_node("Cast", [("x", x)], to=to)


@pytest.mark.parametrize("src", [np.int32, np.int8, np.uint8, np.bool_, np.float16])
def test_cast_to_float(rng, src):
    x = (rng.integers(0, 2, (3, 4)) if src == np.bool_ else rng.integers(0, 100, (3, 4)))
    check_node("Cast", [("x", x.astype(src))], to=TensorProto.FLOAT)


def test_castlike(rng):
    check_node("CastLike", [("x", _x(rng) * 10), ("t", np.zeros(1, np.int32))], consts=("t",))


def test_cast_unsupported_type_is_clear():
    node = Node("c", "Cast", ["x"], ["y"], {"to": TensorProto.BFLOAT16})
    with pytest.raises(UnsupportedOpError, match="NumPy"):
        get_op("Cast").infer(node, [TensorType("float32", (1,))], [None])


@pytest.mark.parametrize("value", [None, np.array([3], np.int32), np.array([2.5], np.float32)])
@pytest.mark.parametrize("shape", [[2, 3], [0], []])
def test_constant_of_shape(value, shape):
    attrs = {} if value is None else {"value": numpy_helper.from_array(value)}
    check_node("ConstantOfShape", [("s", np.array(shape, I64))], consts=("s",), **attrs)


@pytest.mark.parametrize("start,limit,delta,dtype", [
    (0, 10, 3, np.int64), (10, 4, -2, np.int32), (1.0, 2.0, 0.3, np.float32),
    (5, 5, 1, np.int64), (3, 1, 1, np.int64), (-1.5, 3.0, 0.5, np.float64)])
@pytest.mark.parametrize("const", [True, False])
def test_range(start, limit, delta, dtype, const):
    ins = [("a", np.array(start, dtype)), ("b", np.array(limit, dtype)),
           ("c", np.array(delta, dtype))]
    check_node("Range", ins, consts=("a", "b", "c") if const else ())


def test_identity(rng):
    check_node("Identity", [("x", _x(rng))])


@pytest.mark.parametrize("n_out", [1, 2])
def test_dropout_inference(rng, n_out):
    check_node("Dropout", [("x", _x(rng)), ("r", np.array(0.5, np.float32))], n_out,
               consts=("r",))


def test_dropout_training_refused(rng):
    node = Node("d", "Dropout", ["x", "r", "t"], ["y"], {})
    with pytest.raises(UnsupportedOpError, match="training"):
        get_op("Dropout").run(node, [_x(rng), np.array(0.5, np.float32), np.array(True)])


@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("largest", [0, 1])
@pytest.mark.parametrize("k", [1, 3, 0])
def test_topk(rng, axis, largest, k):
    x = np.round(_x(rng, (4, 5, 6)) * 2) / 2  # many ties: lower index must win
    check_node("TopK", [("x", x), ("k", np.array([k], I64))], 2, consts=("k",), axis=axis,
               largest=largest)


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.int64])
def test_topk_ints(rng, dtype):
    x = rng.integers(0, 5, (3, 8)).astype(dtype)
    check_node("TopK", [("x", x), ("k", np.array([4], I64))], 2, consts=("k",))


def test_topk_infer_unknown_k():
    node = Node("t", "TopK", ["x", "k"], ["v", "i"], {"axis": 1})
    outs = get_op("TopK").infer(node, [TensorType("float32", (2, 9)), None], [None, None])
    assert outs[0].shape == (2, "?") and outs[1].dtype == "int64"


@pytest.mark.parametrize("k", [0, 1, -2, 5])
@pytest.mark.parametrize("dtype", [None, TensorProto.INT32])
def test_eyelike(k, dtype):
    attrs = {"k": k} | ({} if dtype is None else {"dtype": dtype})
    check_node("EyeLike", [("x", np.zeros((4, 6), np.float32))], **attrs)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_onehot(rng, axis):
    idx = rng.integers(-5, 5, (3, 4)).astype(I64)
    check_node("OneHot", [("i", idx), ("d", np.array(5, I64)),
                          ("v", np.array([-1.0, 2.0], np.float32))], consts=("d", "v"),
               axis=axis)


@pytest.mark.parametrize("shape", [(3, 4), (5,), (2, 3, 4), (0, 3)])
def test_nonzero(rng, shape):
    x = (rng.random(shape) > 0.5).astype(np.float32)
    check_node("NonZero", [("x", x)])


@pytest.mark.parametrize("value", [0.0, 2.0])
def test_nonzero_scalar(value):
    check_node("NonZero", [("x", np.array(value, np.float32))])


OPS = ["Cast", "CastLike", "ConstantOfShape", "Range", "Identity", "Dropout", "TopK", "EyeLike",
       "OneHot", "NonZero", "Einsum"]


@pytest.mark.parametrize("op", OPS)
def test_versions_cover_opset21_and_later(op):
    for opset in range(21, onnx.defs.onnx_opset_version() + 1):
        assert onnx.defs.get_schema(op, opset).since_version in get_op(op).versions


@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ii->i", [(4, 4)]), ("ij->ji", [(3, 4)]), ("i,i", [(5,), (5,)]), ("ij,kj", [(2, 3), (4, 3)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]), ("ijk->", [(2, 3, 4)]),
    ("...ij,...jk", [(2, 3, 4), (2, 4, 2)]), ("b...i->...b", [(2, 3, 4, 5)])])
def test_einsum(rng, eq, shapes):
    check_node("Einsum", [(f"x{i}", _x(rng, s)) for i, s in enumerate(shapes)], equation=eq,
               rtol=1e-4, atol=1e-5)


def test_einsum_macs():
    op = get_op("Einsum")
    node = Node("e", "Einsum", ["a", "b"], ["y"], {"equation": "ij,jk->ik"})
    ins = [TensorType("float32", (3, 4)), TensorType("float32", (4, 5))]
    assert op.infer(node, ins, [None, None])[0].shape == (3, 5)
    assert op.macs(node, ins, []) == 60
    node.attrs["equation"] = "...ij,...jk"
    ins = [TensorType("float32", ("N", 1, 3, 4)), TensorType("float32", (5, 4, 2))]
    assert op.infer(node, ins, [None, None])[0].shape == ("N", 5, 3, 2)
    node.attrs["equation"] = "bi...,bj...->b...ij"
    ins = [TensorType("float32", (2, 3, 7)), TensorType("float32", (2, 4, 7))]
    assert op.infer(node, ins, [None, None])[0].shape == (2, 7, 3, 4)
