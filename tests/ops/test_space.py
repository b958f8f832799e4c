import numpy as np
import onnx
import pytest
from onnx.reference import ReferenceEvaluator
from ortcheck import check_node, node_model

from npukit.errors import ShapeError
from npukit.frontends.onnx import import_model
from npukit.ir import Node
from npukit.ops import TensorType, get_op
from npukit.sim import FloatExecutor


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
@pytest.mark.parametrize("b,shape", [(2, (1, 8, 3, 4)), (3, (2, 18, 2, 2)), (1, (1, 3, 2, 2))])
def test_depth_to_space(rng, mode, b, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    check_node("DepthToSpace", [("x", x)], blocksize=b, mode=mode)


@pytest.mark.parametrize("b,shape", [(2, (1, 3, 4, 6)), (3, (2, 2, 6, 3))])
def test_space_to_depth(rng, b, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    check_node("SpaceToDepth", [("x", x)], blocksize=b)


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_space_to_depth_modes_opset28(rng, mode):
    """Opset 28 adds ``mode``; ORT lacks it, so the ONNX reference evaluator is the judge."""
    x = rng.standard_normal((1, 2, 4, 6)).astype(np.float32)
    model, feeds = node_model("SpaceToDepth", [("x", x)], opset=28, blocksize=2, mode=mode)
    ref = ReferenceEvaluator(model).run(None, feeds)[0]
    g = import_model(model)
    np.testing.assert_array_equal(FloatExecutor(g).run(feeds)[g.outputs[0]], ref)


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_round_trip(rng, mode):
    x = rng.standard_normal((1, 3, 4, 6)).astype(np.float32)
    s2d, d2s = get_op("SpaceToDepth"), get_op("DepthToSpace")
    n1 = Node("a", "SpaceToDepth", ["x"], ["y"], {"blocksize": 2, "mode": mode})
    n2 = Node("b", "DepthToSpace", ["y"], ["z"], {"blocksize": 2, "mode": mode})
    np.testing.assert_array_equal(d2s.run(n2, s2d.run(n1, [x]))[0], x)


def test_infer_symbolic_and_errors():
    op = get_op("DepthToSpace")
    node = Node("n", "DepthToSpace", ["x"], ["y"], {"blocksize": 2})
    assert op.infer(node, [TensorType("float32", ("N", 8, "H", 5))], [None])[0].shape == \
        ("N", 2, "?", 10)
    with pytest.raises(ShapeError):
        op.infer(node, [TensorType("float32", (1, 6, 2, 2))], [None])
    assert onnx.defs.get_schema("DepthToSpace", 21).since_version in op.versions


@pytest.mark.parametrize("op", ["DepthToSpace", "SpaceToDepth"])
def test_versions_cover_opset21_and_later(op):
    for opset in range(21, onnx.defs.onnx_opset_version() + 1):
        assert onnx.defs.get_schema(op, opset).since_version in get_op(op).versions
