import numpy as np
import pytest
from refcheck import check

from npukit.ir import Graph, Node
from npukit.ops import get_op, infer_node

OPS = ["Softmax", "LogSoftmax", "Hardmax"]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("axis", [None, 0, 1, 2, -1, -3])
def test_axis(rng, op, axis):
    x = (rng.standard_normal((3, 4, 5)) * 3).astype(np.float32)
    attrs = {} if axis is None else {"axis": axis}
    check(op, [("x", x)], **attrs)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", [np.float64, np.float16])
def test_dtypes(rng, op, dtype):
    x = (rng.standard_normal((2, 6)) * 3).astype(dtype)
    check(op, [("x", x)], rtol=1e-3 if dtype == np.float16 else 1e-6, atol=1e-3 if dtype ==
          np.float16 else 1e-7)


@pytest.mark.parametrize("op", OPS)
def test_large_logits_and_ties(op):
    x = np.array([[1000.0, 1000.0, -1000.0, 3.0], [-50.0, -50.0, -50.0, -50.0],
                  [88.0, 89.0, 90.0, 91.0]], np.float32)
    check(op, [("x", x)], atol=1e-5)


def test_hardmax_first_max():
    x = np.array([[1.0, 3.0, 3.0, 0.0]], np.float32)
    y = get_op("Hardmax").run(Node("n", "Hardmax", ["x"], ["y"]), [x])[0]
    np.testing.assert_array_equal(y, [[0, 1, 0, 0]])
    assert y.dtype == np.float32


def test_infer_symbolic():
    g = Graph()
    g.add_input("x", "float32", ("N", 10))
    for op in OPS:
        t = infer_node(g, Node("n", op, ["x"], ["y"], {"axis": 1}))[0]
        assert (t.dtype, t.shape) == ("float32", ("N", 10))


@pytest.mark.parametrize("op,axis", [(op, a) for op in OPS for a in (0, 1, 2)],
                         ids=lambda v: str(v))
def test_opset11_coerced_2d_is_upgraded(rng, op, axis):
    """Opset < 13 flattens to 2-D at ``axis``; the importer's up-conversion must keep that
    (for Hardmax the importer rewrites it itself: the converter has no adapter)."""
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    check(op, [("x", x)], opset=11, axis=axis)
