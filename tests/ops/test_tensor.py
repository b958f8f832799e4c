import numpy as np
import onnx
import pytest
from ortcheck import check_node

from npukit.ir import Node
from npukit.ops import TensorType, get_op

I64 = np.int64
BIG = 2**63 - 1


def _x(rng, shape=(3, 4, 5)):
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat(rng, axis):
    shapes = [[3, 4, 5] for _ in range(3)]
    for k, n in enumerate([1, 2, 3]):
        shapes[k][axis] = n
    check_node("Concat", [(f"x{i}", _x(rng, s)) for i, s in enumerate(shapes)], axis=axis)


def test_concat_with_const_and_empty(rng):
    check_node("Concat", [("a", _x(rng, (2, 3))), ("b", _x(rng, (0, 3))),
                          ("c", _x(rng, (1, 3)))], consts=("c",), axis=0)


def test_concat_infer_symbolic():
    op, node = get_op("Concat"), Node("n", "Concat", ["a", "b"], ["y"], {"axis": 1})
    ins = [TensorType("float32", ("N", 2)), TensorType("float32", (1, 3))]
    assert op.infer(node, ins, [None, None])[0].shape == (1, 5)
    ins = [TensorType("float32", ("N", "C")), TensorType("float32", ("N", 3))]
    assert op.infer(node, ins, [None, None])[0].shape == ("N", "?")


@pytest.mark.parametrize("split,n,axis", [([2, 3], 2, -1), ([1, 1, 1], 3, 0), ([4], 1, 1),
                                          ([0, 5], 2, 2)])
def test_split_input(rng, split, n, axis):
    check_node("Split", [("x", _x(rng)), ("s", np.array(split, I64))], n, consts=("s",),
               axis=axis)


@pytest.mark.parametrize("n,axis", [(2, 1), (3, 0), (3, 2), (4, 1)])
def test_split_num_outputs(rng, n, axis):
    check_node("Split", [("x", _x(rng))], n, axis=axis, num_outputs=n, opset=18)


def test_split_equal_no_attr(rng):
    check_node("Split", [("x", _x(rng, (6, 2)))], 3, axis=0, opset=13)


SLICES = [  # starts, ends, axes, steps
    ([0], [2], [0], None), ([1, 1], [3, -1], [1, 2], None), ([-1], [-BIG], [2], [-1]),
    ([4], [0], [1], [-2]), ([0, 0, 0], [BIG, BIG, BIG], None, [2, 3, 2]),
    ([-100], [100], [-1], [1]), ([5], [10], [2], [1]), ([2], [1], [0], [1]),
    ([10], [-10], [2], [-3]), ([1], [BIG], [-2], [2])]


@pytest.mark.parametrize("starts,ends,axes,steps", SLICES)
@pytest.mark.parametrize("const", [True, False])
def test_slice(rng, starts, ends, axes, steps, const):
    inputs = [("x", _x(rng)), ("s", np.array(starts, I64)), ("e", np.array(ends, I64))]
    if axes is not None or steps is not None:
        a = axes if axes is not None else list(range(len(starts)))
        inputs.append(("a", np.array(a, I64)))
    if steps is not None:
        inputs.append(("t", np.array(steps, I64)))
    check_node("Slice", inputs, consts=("s", "e", "a", "t") if const else ())


def test_slice_infer_keeps_symbolic_full_range():
    op, node = get_op("Slice"), Node("n", "Slice", ["x", "s", "e", "a"], ["y"], {})
    x = TensorType("float32", ("N", 8))
    c = [None, np.array([0, 2]), np.array([BIG, 6]), np.array([0, 1])]
    assert op.infer(node, [x, None, None, None], c)[0].shape == ("N", 4)
    c = [None, np.array([1]), np.array([BIG]), np.array([0])]
    assert op.infer(node, [x, None, None, None], c)[0].shape == ("?", 8)


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge", "wrap"])
@pytest.mark.parametrize("pads", [[0, 1, 2, 1, 0, 2], [1, 0, 0, 0, 2, 1], [0, 0, 0, 0, 0, 0]])
def test_pad(rng, mode, pads):
    inputs = [("x", _x(rng)), ("p", np.array(pads, I64))]
    if mode == "constant":
        inputs.append(("v", np.array(1.5, np.float32)))
    check_node("Pad", inputs, consts=("p",), mode=mode)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
def test_pad_negative_and_axes(rng, mode):
    check_node("Pad", [("x", _x(rng)), ("p", np.array([2, -1, -1, 1], I64)), ("", None),
                       ("a", np.array([2, 0], I64))], consts=("p", "a"), mode=mode)


def test_pad_int_default_value(rng):
    x = rng.integers(-5, 5, (2, 3)).astype(np.int32)
    check_node("Pad", [("x", x), ("p", np.array([1, 1, 1, 1], I64))], consts=("p",))


@pytest.mark.parametrize("upper", [0, 1])
@pytest.mark.parametrize("k", [None, 0, 2, -1, -7, 9])
def test_trilu(rng, upper, k):
    inputs = [("x", _x(rng, (2, 4, 5)))] + ([] if k is None else [("k", np.array(k, I64))])
    check_node("Trilu", inputs, consts=("k",), upper=upper)


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("exclusive,reverse", [(0, 0), (1, 0), (0, 1), (1, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_cumsum(rng, axis, exclusive, reverse, dtype):
    x = (rng.standard_normal((3, 4, 5)) * 10).astype(dtype)
    check_node("CumSum", [("x", x), ("a", np.array(axis, I64))], consts=("a",),
               exclusive=exclusive, reverse=reverse, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", ["Concat", "Split", "Slice", "Pad", "Trilu", "CumSum"])
def test_versions_cover_opset21_and_later(op):
    for opset in range(21, onnx.defs.onnx_opset_version() + 1):
        assert onnx.defs.get_schema(op, opset).since_version in get_op(op).versions
