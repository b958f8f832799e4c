import numpy as np
import pytest
from refcheck import check

from npukit.ir import Graph, Node
from npukit.ops import get_op, infer_node

SHAPES = [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)),
          ((1, 5), (4, 1))]
INTS = [np.int8, np.uint8, np.int32, np.int64]


def _ints(rng, shape, dtype, lo=-100, hi=100):
    info = np.iinfo(dtype)
    return rng.integers(max(lo, info.min), min(hi, info.max), shape).astype(dtype)


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div"])
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_arith_float_broadcast(rng, op, sa, sb):
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32) + 3
    check(op, [("a", a), ("b", b)])


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div"])
@pytest.mark.parametrize("dtype", INTS + [np.float64, np.float16])
def test_arith_dtypes(rng, op, dtype):
    if np.dtype(dtype).kind == "f":
        a = rng.standard_normal((3, 5)).astype(dtype)
        b = (rng.standard_normal((5,)) + 3).astype(dtype)
    else:
        a, b = _ints(rng, (3, 5), dtype), _ints(rng, (5,), dtype, 1, 9)
    check(op, [("a", a), ("b", b)], rtol=1e-3 if dtype == np.float16 else 1e-5)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64])
def test_int_div_truncates(dtype):
    a = np.array([7, -7, 7, -7, 6, -6, 0, 1, -1], dtype)
    b = np.array([2, 2, -2, -2, 3, -3, 5, -3, 3], dtype)
    check("Div", [("a", a), ("b", b)])
    y = get_op("Div").run(Node("n", "Div", ["a", "b"], ["y"]), [a, b])[0]
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, [3, -3, -3, 3, 2, 2, 0, 0, 0])


def test_int_wraps(rng):
    a = np.array([100, -100, 127], np.int8)
    check("Add", [("a", a), ("b", a)])
    check("Mul", [("a", a), ("b", a)])


@pytest.mark.parametrize("eb", [np.float32, np.int64, np.int32])
def test_pow_float_base(rng, eb):
    a = np.abs(rng.standard_normal((3, 4))).astype(np.float32) + 0.1
    b = np.array([0, 1, 2, 3], eb) if eb != np.float32 else rng.standard_normal(4).astype(eb)
    check("Pow", [("a", a), ("b", b)], rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_pow_int(rng, dtype):
    a = _ints(rng, (3, 4), dtype, -5, 6)
    check("Pow", [("a", a), ("b", np.array([0, 1, 2, 3], dtype))])
    check("Pow", [("a", a), ("b", np.array([0.5, 1.0, 2.0, 3.0], np.float32))])


@pytest.mark.parametrize("op", ["Sqrt", "Exp", "Log", "Neg", "Abs", "Reciprocal", "Floor",
                                "Ceil", "Round", "Sign", "Sin", "Cos"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_math(rng, op, dtype):
    x = (rng.standard_normal((3, 4, 5)) * 4).astype(dtype)
    if op in ("Sqrt", "Log"):
        x = np.abs(x) + 0.01
    x.flat[:8] = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.0, -0.0]  # ties for Round
    if op in ("Sqrt", "Log"):
        x = np.abs(x) + 0.01
    check(op, [("x", x)])


@pytest.mark.parametrize("op", ["Neg", "Abs", "Sign"])
@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64])
def test_unary_int(rng, op, dtype):
    check(op, [("x", _ints(rng, (4, 5), dtype))])


def test_round_half_to_even():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001], np.float32)
    check("Round", [("x", x)])
    y = get_op("Round").run(Node("n", "Round", ["x"], ["y"]), [x])[0]
    np.testing.assert_array_equal(y, [0, 2, 2, -0, -2, -2, 2, 3])


def test_special_values_float():
    x = np.array([0.0, -1.0, np.inf, -np.inf, np.nan, 1.0], np.float32)
    for op in ("Sqrt", "Log", "Reciprocal", "Exp"):
        check(op, [("x", x)])
    check("Div", [("a", x), ("b", np.zeros_like(x))])


@pytest.mark.parametrize("op", ["Max", "Min", "Sum", "Mean"])
@pytest.mark.parametrize("shapes", [[(3, 4)], [(3, 4), (3, 4)], [(2, 1, 4), (3, 1), (4,)],
                                    [(), (2, 3), (1, 3)]])
def test_variadic(rng, op, shapes):
    ins = [(f"x{i}", rng.standard_normal(s).astype(np.float32)) for i, s in enumerate(shapes)]
    check(op, ins)


@pytest.mark.parametrize("op,dtype", [(op, dt) for op in ("Max", "Min", "Sum")
                                      for dt in (np.int32, np.int64, np.uint8)
                                      if (op, dt) != ("Sum", np.uint8)])  # Sum has no uint8
def test_variadic_int(rng, op, dtype):
    check(op, [("a", _ints(rng, (3, 4), dtype)), ("b", _ints(rng, (4,), dtype))])


@pytest.mark.parametrize("fmod", [0, 1])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int8, np.float32])
def test_mod(rng, fmod, dtype):
    if fmod == 0 and dtype == np.float32:
        a = rng.standard_normal((4, 5)).astype(dtype) * 10
        b = np.array([3.0, -3.0, 2.5, -0.7, 7.0], dtype)
        check("Mod", [("a", a), ("b", b)], opset=28, fmod=0)
        return
    if dtype == np.float32:
        a = rng.standard_normal((4, 5)).astype(dtype) * 10
        b = np.array([3.0, -3.0, 2.5, -0.7, 7.0], dtype)
    else:
        a = _ints(rng, (4, 5), dtype)
        b = np.array([3, -3, 7, -8, 5], dtype)
    check("Mod", [("a", a), ("b", b)], fmod=fmod)


@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64])
def test_bitshift(rng, direction, dtype):
    x = _ints(rng, (3, 4), dtype, 0, 200)
    s = np.array([0, 1, 3, 7], dtype)
    check("BitShift", [("x", x), ("s", s)], direction=direction)


@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
def test_bitshift_signed_opset28(direction):
    x = np.array([1, -8, 127, -128, 5, -5, 3, -3], np.int8)
    s = np.array([9, 8, -1, 3, 0, 1, 7, 100], np.int8)
    check("BitShift", [("x", x), ("s", s)], opset=28, direction=direction)
    y = get_op("BitShift").run(Node("n", "BitShift", ["x", "s"], ["y"],
                                    {"direction": direction}), [x, s])[0]
    want = [0, 0, 0, 0, 5, -10, -128, 0] if direction == "LEFT" else \
        [0, -1, 0, -16, 5, -3, 0, -1]
    np.testing.assert_array_equal(y, want)


def test_isnan_isinf():
    x = np.array([0.0, np.nan, np.inf, -np.inf, -1.0], np.float32)
    check("IsNaN", [("x", x)])
    for pos in (0, 1):
        for neg in (0, 1):
            check("IsInf", [("x", x)], detect_positive=pos, detect_negative=neg)


def test_infer_symbolic_broadcast():
    g = Graph()
    g.add_input("a", "float32", ("N", 1, 4))
    g.add_input("b", "float32", (3, 1))
    g.add_input("c", "float32", ("N", 3, 1))
    assert infer_node(g, Node("n", "Add", ["a", "b"], ["y"]))[0].shape == ("N", 3, 4)
    assert infer_node(g, Node("n", "Max", ["a", "b", "c"], ["y"]))[0].shape == ("N", 3, 4)
    t = infer_node(g, Node("n", "IsNaN", ["a"], ["y"]))[0]
    assert (t.dtype, t.shape) == ("bool", ("N", 1, 4))
