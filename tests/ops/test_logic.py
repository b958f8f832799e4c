import numpy as np
import pytest
from refcheck import check

from npukit.ir import Graph, Node
from npukit.ops import get_op, infer_node

SHAPES = [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3))]
COMPARE = ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"]


@pytest.mark.parametrize("op", COMPARE)
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_compare_broadcast(rng, op, sa, sb):
    a = rng.integers(-3, 3, sa).astype(np.float32)  # small ints: many equal pairs
    b = rng.integers(-3, 3, sb).astype(np.float32)
    check(op, [("a", a), ("b", b)])


@pytest.mark.parametrize("op", COMPARE)
@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.int64, np.float64,
                                   np.float16])
def test_compare_dtypes(rng, op, dtype):
    a = rng.integers(0, 4, (3, 5)).astype(dtype)
    b = rng.integers(0, 4, (5,)).astype(dtype)
    check(op, [("a", a), ("b", b)])


def test_compare_nan():
    a = np.array([np.nan, 1.0, np.nan, np.inf], np.float32)
    b = np.array([np.nan, np.nan, 1.0, np.inf], np.float32)
    for op in COMPARE:
        check(op, [("a", a), ("b", b)])


def test_equal_strings():
    a = np.array(["a", "bc", "", "x"], dtype=object)
    b = np.array(["a", "b", "", "y"], dtype=object)
    y = get_op("Equal").run(Node("n", "Equal", ["a", "b"], ["y"]), [a, b])[0]
    np.testing.assert_array_equal(y, [True, False, True, False])
    check("Equal", [("a", a), ("b", b)])


@pytest.mark.parametrize("op", ["And", "Or", "Xor"])
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_bool_ops(rng, op, sa, sb):
    check(op, [("a", rng.random(sa) > 0.5), ("b", rng.random(sb) > 0.5)])


def test_not(rng):
    check("Not", [("x", rng.random((3, 4)) > 0.5)])


@pytest.mark.parametrize("sc,sx,sy", [((2, 3), (2, 3), (2, 3)), ((3,), (2, 3), ()),
                                      ((2, 1), (1, 3), (2, 3)), ((4, 1, 1), (3, 1), (2,))])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.uint8, np.float64, bool])
def test_where(rng, sc, sx, sy, dtype):
    c = rng.random(sc) > 0.5
    x = rng.integers(0, 9, sx).astype(dtype)
    y = rng.integers(0, 9, sy).astype(dtype)
    check("Where", [("c", c), ("x", x), ("y", y)])


def test_infer_symbolic():
    g = Graph()
    g.add_input("c", "bool", ("N", 1))
    g.add_input("x", "float32", (1, "C"))
    g.add_input("y", "float32", ())
    t = infer_node(g, Node("n", "Where", ["c", "x", "y"], ["o"]))[0]
    assert (t.dtype, t.shape) == ("float32", ("N", "C"))
    t = infer_node(g, Node("n", "Less", ["x", "y"], ["o"]))[0]
    assert (t.dtype, t.shape) == ("bool", (1, "C"))
