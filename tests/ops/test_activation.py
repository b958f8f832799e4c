import math

import numpy as np
import pytest
from refcheck import check as check_node

from npukit.ir import Graph, Node
from npukit.ops import infer_node
from npukit.ops.activation import erf

UNARY = [
    ("Relu", {}), ("Sigmoid", {}), ("Tanh", {}), ("Erf", {}), ("Softplus", {}),
    ("Softsign", {}), ("Mish", {}), ("HardSwish", {}),
    ("LeakyRelu", {}), ("LeakyRelu", {"alpha": 0.3}),
    ("HardSigmoid", {}), ("HardSigmoid", {"alpha": 0.5, "beta": 0.1}),
    ("Elu", {}), ("Elu", {"alpha": 0.5}),
    ("Selu", {}), ("Selu", {"alpha": 2.0, "gamma": 3.0}),
    ("Celu", {}), ("Celu", {"alpha": 2.0}),
    ("ThresholdedRelu", {}), ("ThresholdedRelu", {"alpha": 0.5}),
    ("Gelu", {}), ("Gelu", {"approximate": "tanh"}),
]


def _x(rng, dtype=np.float32, shape=(2, 3, 4, 5)):
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    x.flat[:6] = [0.0, -0.0, 1.0, -1.0, 20.0, -20.0]  # ties and saturation
    return x


@pytest.mark.parametrize("op,attrs", UNARY, ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_activation(rng, op, attrs, dtype):
    check_node(op, [("x", _x(rng, dtype))], rtol=1e-5, atol=1e-6, **attrs)


@pytest.mark.parametrize("op", ["Relu", "Sigmoid", "Tanh", "HardSwish", "LeakyRelu"])
def test_unary_float16(rng, op):
    check_node(op, [("x", _x(rng, np.float16))], rtol=2e-3, atol=2e-3)


def test_relu_int(rng):
    check_node("Relu", [("x", rng.integers(-50, 50, (3, 7)).astype(np.int32))])


def test_swish_opset24(rng):
    x = _x(rng)
    try:
        # ORT's MLAS logistic is an approximation (~1e-6 absolute near 0)
        check_node("Swish", [("x", x)], opset=24, alpha=0.7, atol=5e-6)
    except Exception as e:  # an ORT too old to know Swish is not our failure
        if "Swish" not in str(e) or "NOT_IMPLEMENTED" not in str(e):
            raise
        pytest.skip(f"onnxruntime lacks Swish: {e}")


@pytest.mark.parametrize("slope_shape", [(1,), (5,), (4, 1), (1, 4, 5), (3, 4, 5)])
def test_prelu_broadcast(rng, slope_shape):
    x = _x(rng, shape=(2, 3, 4, 5))
    s = rng.standard_normal(slope_shape).astype(np.float32)
    check_node("PRelu", [("x", x), ("s", s)], consts=("s",))


def test_prelu_int(rng):
    x = rng.integers(-9, 9, (3, 4)).astype(np.int32)
    s = np.array([1, 2, 3, 4], np.int32)
    check_node("PRelu", [("x", x), ("s", s)])


@pytest.mark.parametrize("lo,hi", [(-1.0, 1.0), (None, 0.5), (-0.5, None), (None, None),
                                   (1.0, -1.0)])
def test_clip(rng, lo, hi):
    x = _x(rng)
    ins = [("x", x)]
    ins.append(("lo", np.array(lo, np.float32)) if lo is not None else ("", None))
    if hi is not None:
        ins.append(("hi", np.array(hi, np.float32)))
    check_node("Clip", ins, consts=("lo", "hi"))


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8])
def test_clip_int(rng, dtype):
    x = rng.integers(0 if dtype == np.uint8 else -100, 100, (4, 6)).astype(dtype)
    check_node("Clip", [("x", x), ("lo", np.array(3, dtype)), ("hi", np.array(60, dtype))])


def test_erf_precision():
    xs = np.linspace(-7, 7, 20001)
    ref = np.array([math.erf(v) for v in xs])
    np.testing.assert_allclose(erf(xs), ref, rtol=0, atol=3e-15)
    np.testing.assert_allclose(erf(xs, precise=False), ref, rtol=0, atol=1e-9)
    assert np.isnan(erf(np.array([np.nan])))[0]
    assert list(erf(np.array([np.inf, -np.inf]))) == [1.0, -1.0]


def test_infer_keeps_symbolic_dims():
    g = Graph()
    g.add_input("x", "float32", ("N", 3, "H"))
    g.add_const("s", np.ones((3, 1), np.float32))
    for op, ins in [("Gelu", ["x"]), ("PRelu", ["x", "s"]), ("Clip", ["x"])]:
        t = infer_node(g, Node("n", op, ins, ["y"]))[0]
        assert (t.dtype, t.shape) == ("float32", ("N", 3, "H"))


def test_activation_keeps_dtype(rng):
    from npukit.ops import get_op
    x = _x(rng, np.float32)
    for op, attrs in UNARY:
        y = get_op(op).run(Node("n", op, ["x"], ["y"], dict(attrs)), [x])[0]
        assert y.dtype == np.float32, op


def test_clip_opset7_attributes_are_upgraded(rng):
    check_node("Clip", [("x", _x(rng))], opset=7, min=-0.5, max=0.25)
