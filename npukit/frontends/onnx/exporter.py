"""IR → ONNX ModelProto, so ONNX Runtime can run any graph npukit holds
(numeric checks of passes, QDQ export, golden comparisons)."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from npukit.ir import Graph, Value
from npukit.ir.dtypes import to_numpy


def _elem(dtype: str | None) -> int:
    if dtype is None:
        return onnx.TensorProto.UNDEFINED
    if dtype == "str":
        return onnx.TensorProto.STRING
    return helper.np_dtype_to_tensor_dtype(to_numpy(dtype))


def _value_info(v: Value) -> onnx.ValueInfoProto:
    shape = None if v.shape is None else [d if isinstance(d, int) else
                                          (None if d == "?" else str(d)) for d in v.shape]
    return helper.make_tensor_value_info(v.name, _elem(v.dtype), shape)


def _attr(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return numpy_helper.from_array(v)
    return v


def export_model(g: Graph, *, opset: int | None = None, ir_version: int = 10) -> onnx.ModelProto:
    """Build an ONNX model of ``g`` (constants become initializers)."""
    inits = [numpy_helper.from_array(np.asarray(v.const), v.name)
             for v in g.values.values() if v.const is not None]
    nodes = [helper.make_node(n.op_type, n.inputs, n.outputs, name=n.name, domain=n.domain or None,
                              **{k: _attr(a) for k, a in n.attrs.items()}) for n in g.nodes]
    inputs = [_value_info(g.values[i]) for i in g.inputs]
    outputs = [_value_info(g.values[o]) for o in g.outputs]
    produced = {o for n in g.nodes for o in n.outputs if o} - set(g.outputs)
    vinfo = [_value_info(g.values[o]) for o in sorted(produced)
             if g.values[o].dtype is not None]
    graph = helper.make_graph(nodes, g.name, inputs, outputs, inits, value_info=vinfo)
    domains = sorted({n.domain for n in g.nodes if n.domain})
    opsets = [helper.make_opsetid("", opset or g.opset)] + \
        [helper.make_opsetid(d, 1) for d in domains]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="npukit")
    model.ir_version = ir_version
    for k, v in g.metadata.items():
        model.metadata_props.add(key=k, value=v)
    return model
