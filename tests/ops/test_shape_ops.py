import numpy as np
import onnx
import pytest
from ortcheck import check_node

from npukit.errors import ShapeError
from npukit.ir import Node
from npukit.ops import TensorType, get_op

I64 = np.int64


def _x(rng, shape=(2, 3, 4, 5)):
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("target,allowzero", [
    ([6, 20], 0), ([-1, 5], 0), ([0, -1], 0), ([2, 0, 4, 5], 0), ([0, 0, 0, 0], 0),
    ([-1], 0), ([2, 3, 20], 1), ([1, 1, 120], 0)])
@pytest.mark.parametrize("const", [True, False])
def test_reshape(rng, target, allowzero, const):
    check_node("Reshape", [("x", _x(rng)), ("s", np.array(target, I64))],
               consts=("s",) if const else (), allowzero=allowzero)


def test_reshape_allowzero_empty():
    x = np.zeros((0, 3), np.float32)
    check_node("Reshape", [("x", x), ("s", np.array([3, 0], I64))], consts=("s",), allowzero=1)


def test_reshape_infer_symbolic():
    op, node = get_op("Reshape"), Node("n", "Reshape", ["x", "s"], ["y"], {})
    x = TensorType("float32", ("N", 3, 4))
    assert op.infer(node, [x, None], [None, np.array([0, -1])])[0].shape == ("N", 12)
    assert op.infer(node, [x, None], [None, np.array([-1, 12])])[0].shape == ("N", 12)
    assert op.infer(node, [x, None], [None, np.array([-1, 6])])[0].shape == ("?", 6)
    assert op.infer(node, [x, None], [None, np.array([3, 4, -1])])[0].shape == (3, 4, "N")
    assert op.infer(node, [x, TensorType("int64", (3,))], [None, None])[0].shape == ("?",) * 3
    with pytest.raises(ShapeError):
        op.infer(node, [TensorType("float32", (2, 3)), None], [None, np.array([4, -1])])


@pytest.mark.parametrize("axis", [0, 1, 2, 4, -1, -4])
def test_flatten(rng, axis):
    check_node("Flatten", [("x", _x(rng))], axis=axis)


def test_flatten_infer_symbolic():
    op, node = get_op("Flatten"), Node("n", "Flatten", ["x"], ["y"], {"axis": 1})
    assert op.infer(node, [TensorType("float32", ("N", 3, 4))], [None])[0].shape == ("N", 12)
    node.attrs["axis"] = 2
    assert op.infer(node, [TensorType("float32", ("N", 3, 4))], [None])[0].shape == ("?", 4)


@pytest.mark.parametrize("perm", [None, [0, 2, 3, 1], [3, 2, 1, 0], [1, 0, 2, 3]])
def test_transpose(rng, perm):
    attrs = {} if perm is None else {"perm": perm}
    check_node("Transpose", [("x", _x(rng))], **attrs)


@pytest.mark.parametrize("axes", [None, [0], [-1], [0, 2]])
def test_squeeze(rng, axes):
    x = _x(rng, (1, 3, 1, 1))
    inputs = [("x", x)] + ([] if axes is None else [("a", np.array(axes, I64))])
    check_node("Squeeze", inputs, consts=("a",))


def test_squeeze_symbolic_without_axes_is_unknown_rank():
    op, node = get_op("Squeeze"), Node("n", "Squeeze", ["x"], ["y"], {})
    assert op.infer(node, [TensorType("float32", ("N", 1, 3))], [None])[0].shape is None


@pytest.mark.parametrize("axes", [[0], [-1], [1, 3], [4, 0], [-1, -3]])
def test_unsqueeze(rng, axes):
    check_node("Unsqueeze", [("x", _x(rng, (3, 4, 5))), ("a", np.array(axes, I64))],
               consts=("a",))


@pytest.mark.parametrize("xshape,target", [
    ((3, 1), [2, 1, 6]), ((3, 1), [3, 4]), ((1,), [2, 3]), ((2, 3), [1, 1]),
    ((4, 1, 2), [1, 3, 1])])
@pytest.mark.parametrize("const", [True, False])
def test_expand(rng, xshape, target, const):
    check_node("Expand", [("x", _x(rng, xshape)), ("s", np.array(target, I64))],
               consts=("s",) if const else ())


@pytest.mark.parametrize("reps", [[1, 1, 1], [2, 1, 3], [1, 4, 1], [3, 2, 2]])
def test_tile(rng, reps):
    check_node("Tile", [("x", _x(rng, (2, 3, 1))), ("r", np.array(reps, I64))],
               consts=("r",))


def test_tile_infer_symbolic():
    op, node = get_op("Tile"), Node("n", "Tile", ["x", "r"], ["y"], {})
    x = TensorType("float32", ("N", 3))
    assert op.infer(node, [x, None], [None, np.array([1, 2])])[0].shape == ("N", 6)
    assert op.infer(node, [x, None], [None, np.array([2, 1])])[0].shape == ("?", 3)
    assert op.infer(node, [x, None], [None, None])[0].shape == ("?", "?")


@pytest.mark.parametrize("start,end", [(None, None), (1, None), (-2, None), (0, -1),
                                       (1, 3), (-10, 10), (3, 1)])
def test_shape(rng, start, end):
    attrs = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
    check_node("Shape", [("x", _x(rng))], **attrs)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (), (0, 3)])
def test_size(rng, shape):
    check_node("Size", [("x", _x(rng, shape))])


OPS = ["Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Expand", "Tile", "Shape",
       "Size"]


@pytest.mark.parametrize("op", OPS)
def test_versions_cover_opset21_and_later(op):
    for opset in range(21, onnx.defs.onnx_opset_version() + 1):
        assert onnx.defs.get_schema(op, opset).since_version in get_op(op).versions


def test_dynamic_flatten_pattern_symbolic_batch(rng):
    """PyTorch's ``x.view(x.size(0), -1)`` export: Shape→Gather→Unsqueeze→Concat→Reshape,
    on a symbolic batch; inference must not guess, the run must match ORT."""
    from onnx import TensorProto, helper, numpy_helper
    from ortcheck import assert_matches_ort
    nodes = [helper.make_node("MaxPool", ["x"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Shape", ["p"], ["s"]),
             helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
             helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
             helper.make_node("Concat", ["n1", "minus1"], ["t"], axis=0),
             helper.make_node("Reshape", ["p", "t"], ["y"])]
    inits = [numpy_helper.from_array(np.array(0, I64), "zero"),
             numpy_helper.from_array(np.array([0], I64), "ax"),
             numpy_helper.from_array(np.array([-1], I64), "minus1")]
    graph = helper.make_graph(
        nodes, "flat", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    g = assert_matches_ort(model, {"x": _x(rng, (2, 3, 8, 8))})
    assert g.values["p"].shape == ("N", 3, 4, 4)
    assert g.values["y"].shape is None or len(g.values["y"].shape) == 2
    assert_matches_ort(model, {"x": _x(rng, (5, 3, 8, 8))})
