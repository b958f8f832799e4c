import numpy as np
import pytest
from refcheck import check

from npukit.ir import Graph, Node
from npukit.ops import get_op, infer_node


def _bn_params(rng, c, dtype=np.float32):
    return [("s", rng.standard_normal(c).astype(dtype)),
            ("b", rng.standard_normal(c).astype(dtype)),
            ("m", rng.standard_normal(c).astype(dtype)),
            ("v", (rng.random(c) + 0.1).astype(dtype))]


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 5), (2, 3, 4, 5), (1, 4, 2, 3, 2)])
@pytest.mark.parametrize("eps", [1e-5, 0.1])
def test_batchnorm_inference(rng, shape, eps):
    x = rng.standard_normal(shape).astype(np.float32)
    check("BatchNormalization", [("x", x)] + _bn_params(rng, shape[1]),
          consts=("s", "b", "m", "v"), epsilon=eps, rtol=1e-5, atol=1e-5)


def test_batchnorm_float64(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float64)
    check("BatchNormalization", [("x", x)] + _bn_params(rng, 3, np.float64), rtol=1e-12)


def test_batchnorm_training_mode(rng):
    x = rng.standard_normal((4, 3, 5)).astype(np.float32)
    check("BatchNormalization", [("x", x)] + _bn_params(rng, 3), n_outputs=3,
          training_mode=1, momentum=0.8, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 5), (1, 2, 3, 3, 2)])
@pytest.mark.parametrize("eps", [1e-5, 0.01])
def test_instancenorm(rng, shape, eps):
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    s = rng.standard_normal(shape[1]).astype(np.float32)
    b = rng.standard_normal(shape[1]).astype(np.float32)
    check("InstanceNormalization", [("x", x), ("s", s), ("b", b)], consts=("s", "b"),
          epsilon=eps, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("axis", [-1, -2, 0, 1, 2])
@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("n_out", [1, 3])
def test_layernorm(rng, axis, with_bias, n_out):
    x = (rng.standard_normal((2, 3, 4)) * 2 + 1).astype(np.float32)
    norm_shape = x.shape[axis % 3:]
    ins = [("x", x), ("s", rng.standard_normal(norm_shape).astype(np.float32))]
    if with_bias:
        ins.append(("b", rng.standard_normal(norm_shape).astype(np.float32)))
    check("LayerNormalization", ins, n_out, consts=("s", "b"), axis=axis, epsilon=1e-3,
          rtol=1e-4, atol=1e-5)


def test_layernorm_broadcast_scale(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    check("LayerNormalization", [("x", x), ("s", np.float32([2.0])), ("b", np.float32([0.5]))],
          axis=1, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float16, np.float64])
def test_layernorm_dtypes(rng, dtype):
    x = rng.standard_normal((3, 8)).astype(dtype)
    s = rng.standard_normal(8).astype(dtype)
    g = check("LayerNormalization", [("x", x), ("s", s)], 3, rtol=2e-3, atol=2e-3)
    assert g.values[g.outputs[1]].dtype == "float32"  # Mean has the stash type


@pytest.mark.parametrize("axis", [-1, -2, 1, 0])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_rmsnorm_opset23(rng, axis, dtype):
    x = (rng.standard_normal((2, 3, 4)) * 2 + 1).astype(dtype)
    s = rng.standard_normal(x.shape[axis % 3:]).astype(dtype)
    tol = 2e-3 if dtype == np.float16 else 1e-5
    check("RMSNormalization", [("x", x), ("s", s)], consts=("s",), opset=23, axis=axis,
          epsilon=1e-3, rtol=tol, atol=tol)


@pytest.mark.parametrize("groups,c", [(1, 4), (2, 4), (4, 4), (3, 6)])
def test_groupnorm(rng, groups, c):
    x = (rng.standard_normal((2, c, 3, 5)) * 2).astype(np.float32)
    s = rng.standard_normal(c).astype(np.float32)
    b = rng.standard_normal(c).astype(np.float32)
    check("GroupNormalization", [("x", x), ("s", s), ("b", b)], consts=("s", "b"),
          num_groups=groups, epsilon=1e-4, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("groups,c", [(1, 4), (2, 4), (2, 6)])
def test_groupnorm_opset18_per_group_params(rng, groups, c):
    x = (rng.standard_normal((2, c, 5)) * 2).astype(np.float32)
    s = rng.standard_normal(groups).astype(np.float32)
    b = rng.standard_normal(groups).astype(np.float32)
    check("GroupNormalization", [("x", x), ("s", s), ("b", b)], consts=("s", "b"), opset=18,
          num_groups=groups, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("size", [1, 3, 5])
def test_lrn(rng, size):
    x = rng.standard_normal((2, 7, 4, 3)).astype(np.float32) * 3
    check("LRN", [("x", x)], size=size, alpha=1e-2, beta=0.75, bias=1.5, rtol=1e-5,
          atol=1e-6)


def _lrn_spec(x, size, alpha, beta, bias):
    """The ONNX formula, one channel at a time (ORT takes only odd sizes and 4-D inputs,
    and the ONNX reference evaluator's LRN loops over the batch, not the channels)."""
    sq = np.zeros_like(x, np.float64)
    c = x.shape[1]
    for i in range(c):
        lo, hi = max(0, i - (size - 1) // 2), min(c - 1, i + -(-(size - 1) // 2))
        sq[:, i] = np.sum(x[:, lo:hi + 1].astype(np.float64) ** 2, axis=1)
    return (x / (bias + alpha / size * sq) ** beta).astype(x.dtype)


@pytest.mark.parametrize("size", [2, 4, 6, 9])
@pytest.mark.parametrize("shape", [(2, 7, 4, 3), (1, 3, 5), (2, 5)])
def test_lrn_even_sizes_and_other_ranks(rng, size, shape):
    x = rng.standard_normal(shape).astype(np.float32) * 3
    node = Node("n", "LRN", ["x"], ["y"], {"size": size, "alpha": 0.1, "beta": 0.6,
                                          "bias": 2.0})
    y = get_op("LRN").run(node, [x])[0]
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, _lrn_spec(x, size, 0.1, 0.6, 2.0), rtol=1e-5, atol=1e-6)


def test_lrn_defaults(rng):
    check("LRN", [("x", rng.standard_normal((1, 6, 3, 3)).astype(np.float32))], size=3)


@pytest.mark.parametrize("axes", [None, [0, 2, 3], [1], [2, 3], [-1]])
def test_mvn(rng, axes):
    x = (rng.standard_normal((2, 3, 4, 5)) * 3 + 2).astype(np.float32)
    attrs = {} if axes is None else {"axes": axes}
    check("MeanVarianceNormalization", [("x", x)], rtol=1e-4, atol=1e-5, **attrs)


def test_infer_symbolic():
    g = Graph()
    g.add_input("x", "float16", ("N", 4, "T"))
    for name in ("s", "b", "m", "v"):
        g.add_const(name, np.ones(4, np.float32))
    t = infer_node(g, Node("n", "BatchNormalization", ["x", "s", "b", "m", "v"], ["y"]))
    assert [(o.dtype, o.shape) for o in t] == [("float16", ("N", 4, "T"))]
    t = infer_node(g, Node("n", "LayerNormalization", ["x", "s"], ["y", "m", "i"],
                           {"axis": 1}))
    assert [(o.dtype, o.shape) for o in t] == [("float16", ("N", 4, "T")),
                                                ("float32", ("N", 1, 1)),
                                                ("float32", ("N", 1, 1))]
