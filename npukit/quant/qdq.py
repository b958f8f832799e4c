"""Interop through QDQ graphs: export a quantized model with explicit
QuantizeLinear / DequantizeLinear pairs (ONNX Runtime, TensorRT and OpenVINO
read them), and import the quantization parameters of a QDQ model made
elsewhere (ONNX Runtime's ``quantize_static``, a QAT export …).

Both directions work on the IR; ``npukit.frontends.onnx.export_model`` turns
the QDQ graph into an ONNX file.
"""

from __future__ import annotations

import numpy as np

from npukit.errors import NpukitError
from npukit.ir import Graph, Node, QuantParams
from npukit.numerics.quantize import quantize
from npukit.numerics.rounding import RoundingMode
from npukit.numerics.saturate import storage_dtype
from npukit.ops import get_op

_ONNX_QDTYPES = ("int8", "uint8", "int16", "uint16", "int32")


def _params_consts(g: Graph, base: str, q: QuantParams) -> tuple[str, str]:
    s, z = g.unique_name(f"{base}/scale"), g.unique_name(f"{base}/zero_point")
    scale = q.scale if q.axis is not None else q.scale.reshape(())
    zp = q.zero_point.astype(storage_dtype(q.dtype))
    g.add_const(s, scale.astype(np.float32))
    g.add_const(z, zp if q.axis is not None else zp.reshape(()))
    return s, z


def _axis_attr(q: QuantParams) -> dict:
    return {} if q.axis is None else {"axis": int(q.axis)}


def to_qdq(qg: Graph, rounding: str = "half_to_even") -> Graph:
    """A float graph where every quantized value passes through Q → DQ and every
    quantized weight is stored as integers behind a DequantizeLinear."""
    g = qg.copy()
    for v in g.values.values():
        if v.quant is not None and v.quant.dtype not in _ONNX_QDTYPES:
            raise NpukitError(f"value {v.name!r} is {v.quant.dtype}; QDQ export supports "
                              f"{list(_ONNX_QDTYPES)} (int4 weights: export as int8)")
    new_nodes: list[Node] = []
    rename: dict[str, str] = {}
    for name in list(g.values):
        v = g.values[name]
        q, v.quant = v.quant, None
        if q is None:
            continue
        s, z = _params_consts(g, name, q)
        if v.const is not None:           # weights: integers behind a DequantizeLinear
            qi = g.unique_name(f"{name}/int")
            g.add_const(qi, quantize(v.const, q.scale, q.zero_point, q.dtype,
                                     RoundingMode.parse(rounding), axis=q.axis))
            v.const = None                 # the DQ node now produces the float weight
            new_nodes.append(Node(g.unique_name(f"{name}/DequantizeLinear"), "DequantizeLinear",
                                  [qi, s, z], [name], _axis_attr(q)))
            continue
        qv, dq = g.unique_name(f"{name}/q"), g.unique_name(f"{name}/dq")
        new_nodes += [Node(g.unique_name(f"{name}/QuantizeLinear"), "QuantizeLinear",
                           [name, s, z], [qv], _axis_attr(q)),
                      Node(g.unique_name(f"{name}/DequantizeLinear"), "DequantizeLinear",
                           [qv, s, z], [dq], _axis_attr(q))]
        g.add_value(type(v)(qv, q.dtype, v.shape))
        g.add_value(type(v)(dq, v.dtype, v.shape))
        rename[name] = dq
    for n in g.nodes:
        n.inputs = [rename.get(i, i) for i in n.inputs]
    g.outputs = [rename.get(o, o) for o in g.outputs]
    for n in new_nodes:
        g.add_node(n)
    g.toposort()
    g.remove_unused_values()
    return g


def from_qdq(g: Graph) -> tuple[Graph, dict[str, QuantParams]]:
    """The float graph without its Q/DQ nodes, and the params they carried, keyed
    by the float value they quantize.  Weights behind a DequantizeLinear become
    float constants with their per-channel params."""
    out = g.copy()
    table: dict[str, QuantParams] = {}
    replace: dict[str, str] = {}
    drop: set[int] = set()
    for n in out.nodes:
        if n.op_type == "DequantizeLinear" and out.const(n.inputs[0]) is not None:
            q = _node_params(out, n)
            run = get_op("DequantizeLinear").run(n, [out.const(i) if i else None
                                                      for i in n.inputs])[0]
            out.values[n.outputs[0]].const = run
            _record(table, n.outputs[0], q, n.name)
            drop.add(id(n))
        elif n.op_type == "QuantizeLinear":
            q = _node_params(out, n)
            _record(table, n.inputs[0], q, n.name)
            for c in out.consumers(n.outputs[0]):
                if c.op_type != "DequantizeLinear":
                    raise NpukitError(f"QuantizeLinear {n.name!r} feeds {c.op_type} "
                                      f"{c.name!r}; npukit imports Q→DQ pairs only")
                if not _node_params(out, c).same_as(q):
                    raise NpukitError(f"inconsistent scales: {n.name!r} quantizes "
                                      f"{n.inputs[0]!r} with params that its DequantizeLinear "
                                      f"{c.name!r} does not use",
                                      hint="re-export the QDQ model; Q and DQ of one tensor "
                                           "must share scale and zero point")
                replace[c.outputs[0]] = n.inputs[0]
                drop.add(id(c))
            drop.add(id(n))
    out.nodes = [n for n in out.nodes if id(n) not in drop]
    for n in out.nodes:
        n.inputs = [replace.get(i, i) for i in n.inputs]
    out.outputs = [replace.get(o, o) for o in out.outputs]
    out.invalidate()
    out.remove_unused_values()
    return out, table


def _node_params(g: Graph, n: Node) -> QuantParams:
    scale = g.const(n.inputs[1])
    zp = g.const(n.inputs[2]) if len(n.inputs) > 2 and n.inputs[2] else None
    if scale is None:
        raise NpukitError(f"{n.op_type} {n.name!r} has a non-constant scale; npukit imports "
                          "static quantization parameters only")
    dtype = zp.dtype.name if zp is not None else (
        "uint8" if n.op_type == "QuantizeLinear" else g.values[n.inputs[0]].dtype or "uint8")
    zp_arr = np.zeros(scale.shape, np.int32) if zp is None else zp.astype(np.int32)
    axis = None if scale.size == 1 else int(n.attr("axis", 1))
    return QuantParams(dtype, scale.reshape(-1), zp_arr.reshape(-1), axis)


def _record(table: dict[str, QuantParams], name: str, q: QuantParams, node: str) -> None:
    if name in table and not table[name].same_as(q):
        raise NpukitError(f"inconsistent scales: tensor {name!r} is quantized twice with "
                          f"different params (again by node {node!r})")
    table[name] = q
