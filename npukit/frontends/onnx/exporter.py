"""IR → ONNX ModelProto, so ONNX Runtime can run any graph npukit holds
(numeric checks of passes, QDQ export, golden comparisons)."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from npukit.ir import Graph, Node, Value
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


def _node(n: Node, inputs: list[str], outputs: list[str]) -> onnx.NodeProto:
    attrs = {k: _attr(a) for k, a in n.attrs.items() if k not in _FUSED_ATTRS}
    return helper.make_node(n.op_type, inputs, outputs, name=n.name, domain=n.domain or None,
                            **attrs)


_FUSED_ATTRS = ("activation", "activation_params")


def _fresh(g: Graph, base: str, inits: list[onnx.TensorProto]) -> str:
    taken = {i.name for i in inits}
    name, k = base, 0
    while name in g.values or name in taken:
        k += 1
        name = f"{base}_{k}"
    return name


def _scalar(g: Graph, like: str, value: float, base: str,
            inits: list[onnx.TensorProto]) -> str:
    dt = to_numpy(g.values[like].dtype or "float32")
    name = _fresh(g, base, inits)
    inits.append(numpy_helper.from_array(np.array(value, dt), name))
    return name


def _lower(g: Graph, n: Node, inits: list[onnx.TensorProto]) -> list[onnx.NodeProto]:
    """npukit extensions → standard ONNX (appending constants to ``inits``).

    A fused ``activation`` attribute becomes the node plus its activation node;
    ``npukit::Swish`` becomes ``Sigmoid`` + ``Mul`` (see ``npukit/ops/fused.py``).
    """
    act = n.attrs.get("activation")
    if n.domain == "npukit" and n.op_type == "Swish":
        x, alpha = n.inputs[0], float(n.attrs.get("alpha", 1.0))
        sig, pre = _fresh(g, f"{n.outputs[0]}_sigmoid", inits), []
        if alpha != 1.0:
            ax = _fresh(g, f"{n.outputs[0]}_ax", inits)
            pre = [helper.make_node("Mul", [x, _scalar(g, x, alpha, f"{n.name}_alpha", inits)],
                                    [ax], name=f"{n.name}_alpha")]
        return pre + [helper.make_node("Sigmoid", [ax if pre else x], [sig], name=f"{n.name}_sig"),
                      helper.make_node("Mul", [x, sig], list(n.outputs), name=n.name)]
    if not act:
        return [_node(n, list(n.inputs), list(n.outputs))]
    out = n.outputs[0]
    mid = _fresh(g, f"{out}_{str(act).lower()}_in", inits)
    params = [float(v) for v in n.attrs.get("activation_params", [])]
    ins, attrs = [mid], {}
    if act == "Clip":
        ins += [_scalar(g, out, v, f"{n.name}_clip_{k}", inits) if np.isfinite(v) else ""
                for k, v in zip(("min", "max"), params)]
    elif act == "LeakyRelu" and params:
        attrs["alpha"] = params[0]
    return [_node(n, list(n.inputs), [mid] + list(n.outputs[1:])),
            helper.make_node(str(act), ins, [out], name=f"{n.name}_{act}", **attrs)]


def export_model(g: Graph, *, opset: int | None = None, ir_version: int = 10) -> onnx.ModelProto:
    """Build an ONNX model of ``g`` (constants become initializers)."""
    inits = [numpy_helper.from_array(np.asarray(v.const), v.name)
             for v in g.values.values() if v.const is not None]
    nodes: list[onnx.NodeProto] = []
    for n in g.nodes:
        nodes += _lower(g, n, inits)
    inputs = [_value_info(g.values[i]) for i in g.inputs]
    outputs = [_value_info(g.values[o]) for o in g.outputs]
    produced = {o for n in g.nodes for o in n.outputs if o} - set(g.outputs)
    vinfo = [_value_info(g.values[o]) for o in sorted(produced)
             if g.values[o].dtype is not None]
    graph = helper.make_graph(nodes, g.name, inputs, outputs, inits, value_info=vinfo)
    domains = sorted({n.domain for n in nodes if n.domain})
    opsets = [helper.make_opsetid("", opset or g.opset)] + \
        [helper.make_opsetid(d, 1) for d in domains]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="npukit")
    model.ir_version = ir_version
    for k, v in g.metadata.items():
        model.metadata_props.add(key=k, value=v)
    return model
