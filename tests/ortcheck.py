"""Test helpers: compare npukit's float executor with ONNX Runtime (the golden reference)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

from npukit.frontends.onnx import import_model
from npukit.ir import Graph
from npukit.ir.dtypes import to_numpy
from npukit.sim import FloatExecutor


def ort_run(model: onnx.ModelProto, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return sess.run(None, dict(feeds))


def npk_run(g: Graph, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    out = FloatExecutor(g).run(feeds)
    return [out[o] for o in g.outputs]


def node_model(op_type: str, inputs: Sequence[tuple[str, np.ndarray]], n_outputs: int = 1, *,
               consts: Sequence[str] = (), opset: int = 21, domain: str = "",
               **attrs: Any) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """A one-node ONNX model.  Inputs named in ``consts`` become initializers."""
    names = [n for n, _ in inputs]
    outs = [f"y{i}" for i in range(n_outputs)]
    node = helper.make_node(op_type, names, outs, name="n0", domain=domain or None, **attrs)
    g_in, inits, feeds = [], [], {}
    for name, arr in inputs:
        if not name:
            continue
        arr = np.asarray(arr)
        if name in consts:
            inits.append(numpy_helper.from_array(arr, name))
        else:
            g_in.append(helper.make_tensor_value_info(
                name, helper.np_dtype_to_tensor_dtype(arr.dtype), list(arr.shape)))
            feeds[name] = arr
    g_out = [helper.make_empty_tensor_value_info(o) for o in outs]
    graph = helper.make_graph([node], "t", g_in, g_out, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    return onnx.shape_inference.infer_shapes(model), feeds


def assert_matches_ort(model: onnx.ModelProto, feeds: Mapping[str, np.ndarray],
                       rtol: float = 1e-5, atol: float = 1e-6) -> Graph:
    """Import ``model``, run it in npukit and ORT, compare outputs, dtypes and inferred shapes."""
    g = import_model(model)
    compare_outputs(g, npk_run(g, feeds), ort_run(model, feeds), rtol, atol, "ORT")
    return g


def compare_outputs(g: Graph, ours: Sequence[np.ndarray], ref: Sequence[Any], rtol: float,
                    atol: float, peer: str) -> None:
    """npukit's outputs vs a peer's: shapes, dtypes, inferred types, then values."""
    for name, a, b in zip(g.outputs, ours, ref):
        b = np.asarray(b)
        assert a.shape == b.shape, f"{name}: shape {a.shape} != {peer} {b.shape}"
        assert a.dtype == b.dtype, f"{name}: dtype {a.dtype} != {peer} {b.dtype}"
        v = g.values[name]
        if v.shape is not None and all(isinstance(d, int) for d in v.shape):
            assert tuple(v.shape) == b.shape, f"{name}: inferred {v.shape} != actual {b.shape}"
        if v.dtype is not None:
            assert to_numpy(v.dtype) == b.dtype, f"{name}: inferred {v.dtype} != {b.dtype}"
        if b.dtype.kind in "fc":
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=name)
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)


def check_node(op_type: str, inputs: Sequence[tuple[str, np.ndarray]], n_outputs: int = 1, *,
               consts: Sequence[str] = (), opset: int = 21, rtol: float = 1e-5,
               atol: float = 1e-6, **attrs: Any) -> Graph:
    """One-node model through npukit and ORT; outputs must agree."""
    model, feeds = node_model(op_type, inputs, n_outputs, consts=consts, opset=opset, **attrs)
    return assert_matches_ort(model, feeds, rtol=rtol, atol=atol)
