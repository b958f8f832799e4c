"""Read an ONNX model into the IR.

Older opsets are lifted to ``CANONICAL_OPSET`` with ``onnx.version_converter``
so every op has one meaning to implement; newer opsets are kept and each node
is checked against the semantics its npukit op declares (``Op.versions``).
User node and tensor names are kept; nameless nodes get ``<OpType>_<index>``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import external_data_helper, helper, numpy_helper, shape_inference, version_converter

from npukit.errors import ModelLoadError, ShapeError, UnsupportedOpError
from npukit.frontends.onnx.attributes import convert_attribute, onnx_dtype
from npukit.ir import Graph, Node, Value
from npukit.ops import get_op, infer_graph

CANONICAL_OPSET = 21
_TWO_GB = 2**31


def load_onnx(path: str | os.PathLike) -> onnx.ModelProto:
    """Load and sanity-check an ONNX file (external data included)."""
    p = Path(path)
    if not p.exists():
        raise ModelLoadError(f"model file {str(p)!r} does not exist")
    if p.is_dir():
        raise ModelLoadError(f"{str(p)!r} is a folder, not an ONNX model file")
    try:
        # Weights kept on disk (external data) are attached after conversion and shape
        # inference, which then work on a small skeleton even for models over 2 GB.
        model = onnx.load(str(p), load_external_data=False)
    except (DecodeError, ValueError, RuntimeError, OSError) as e:
        raise ModelLoadError(f"{str(p)!r} is not a readable ONNX model ({type(e).__name__}: "
                             f"{str(e)[:200]})", hint="check the file is an .onnx export and "
                             "not truncated (compare its size with the original)") from None
    if not model.graph.node or not model.opset_import:
        raise ModelLoadError(f"{str(p)!r} is not an ONNX model (no graph, or no opset)",
                             hint="pass the .onnx file exported from your framework")
    return model


def _attach_external_data(model: onnx.ModelProto, base: str | None, source: str) -> None:
    if base is None or not any(external_data_helper.uses_external_data(t)
                               for t in model.graph.initializer):
        return
    try:
        external_data_helper.load_external_data_for_model(model, base)
    except (OSError, ValueError, onnx.checker.ValidationError) as e:
        raise ModelLoadError(f"{source}: cannot read the model's external weight data "
                             f"({e})", hint="keep the .onnx file next to its data file(s), "
                             "with the names it was saved with") from None


def import_model(model: onnx.ModelProto | str | os.PathLike, *,
                 input_shapes: Mapping[str, Sequence[int]] | None = None,
                 name: str | None = None) -> Graph:
    """Import ``model`` (a ModelProto or a path) into a verified IR graph."""
    source = str(model) if not isinstance(model, onnx.ModelProto) else (name or "model")
    base_dir = None
    if not isinstance(model, onnx.ModelProto):
        base_dir = str(Path(model).resolve().parent)
        model = load_onnx(model)
    opset = _default_opset(model, source)
    if opset < CANONICAL_OPSET:
        model = _upgrade(model, opset, source)
        opset = CANONICAL_OPSET
    if input_shapes:
        _fix_input_shapes(model, input_shapes, source)
    model = _infer_shapes(model)
    _attach_external_data(model, base_dir, source)
    g = _to_ir(model, opset, name or model.graph.name or Path(source).stem)
    infer_graph(g)
    g.verify()
    return g


def _default_opset(model: onnx.ModelProto, source: str) -> int:
    opset = None
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            opset = imp.version
    newest = onnx.defs.onnx_opset_version()
    if opset is None:
        raise ModelLoadError(f"{source}: the model imports no ai.onnx opset")
    if opset < 1:
        raise UnsupportedOpError("(model)", source, opset=opset,
                                 detail="the model declares no usable ai.onnx opset")
    if opset > newest:
        raise UnsupportedOpError("(model)", source, opset=opset,
                                 detail=f"the installed onnx knows opsets up to {newest}",
                                 hint="upgrade the onnx package")
    return opset


def _flatten_old_hardmax(model: onnx.ModelProto) -> None:
    """Before opset 13 Hardmax works on the input flattened to 2-D at ``axis``; the opset
    converter relabels it without adapting it (it does adapt Softmax / LogSoftmax), so
    rewrite it the way the converter rewrites Softmax: Shape, Flatten, Hardmax, Reshape."""
    nodes = []
    for n in model.graph.node:
        if n.op_type != "Hardmax" or n.domain not in ("", "ai.onnx"):
            nodes.append(n)
            continue
        axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
        x, y, base = n.input[0], n.output[0], n.name or f"Hardmax_{len(nodes)}"
        nodes += [helper.make_node("Shape", [x], [f"{base}/shape"], name=f"{base}/Shape"),
                  helper.make_node("Flatten", [x], [f"{base}/2d"], name=f"{base}/Flatten",
                                   axis=axis),
                  helper.make_node("Hardmax", [f"{base}/2d"], [f"{base}/max"], name=base,
                                   axis=1),
                  helper.make_node("Reshape", [f"{base}/max", f"{base}/shape"], [y],
                                   name=f"{base}/Reshape")]
    del model.graph.node[:]
    model.graph.node.extend(nodes)


def _refuse_old_prelu(model: onnx.ModelProto, source: str) -> None:
    """Before opset 7 PRelu broadcast a per-channel slope (C,) along axis 1; the converter
    keeps the (C,) shape, which NumPy-style broadcasting would apply along the last axis:
    a silently wrong answer, so refuse it."""
    inits = {i.name: tuple(i.dims) for i in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == "PRelu" and len(inits.get(n.input[1], ())) == 1 and \
                inits[n.input[1]][0] > 1:
            raise UnsupportedOpError("PRelu", n.name or source, opset=6,
                                     detail="a per-channel slope in an opset < 7 model "
                                            "(its broadcasting rule changed in opset 7)",
                                     hint="re-export the model at opset 7 or newer")


def _upgrade(model: onnx.ModelProto, opset: int, source: str) -> onnx.ModelProto:
    if opset < 7:
        _refuse_old_prelu(model, source)
    if opset < 13:
        _flatten_old_hardmax(model)
    try:
        return version_converter.convert_version(model, CANONICAL_OPSET)
    except Exception as e:  # the converter raises bare RuntimeError/ValueError
        raise ModelLoadError(f"{source}: cannot convert opset {opset} to {CANONICAL_OPSET}: "
                             f"{str(e).splitlines()[0][:200]}",
                             hint=f"re-export the model at opset {CANONICAL_OPSET}") from None


def _fix_input_shapes(model: onnx.ModelProto, shapes: Mapping[str, Sequence[int]],
                      source: str) -> None:
    inits = {i.name for i in model.graph.initializer}
    inputs = {i.name: i for i in model.graph.input if i.name not in inits}
    for name, dims in shapes.items():
        if name not in inputs:
            raise ShapeError(f"{source}: --input-shape names {name!r}, but the model's inputs "
                             f"are {sorted(inputs)}")
        tt = inputs[name].type.tensor_type
        old = list(tt.shape.dim)
        if tt.HasField("shape") and len(old) != len(dims):
            raise ShapeError(f"{source}: input {name!r} has rank {len(old)} but the given shape "
                             f"{list(dims)} has rank {len(dims)}")
        for k, (d, new) in enumerate(zip(old, dims)):
            if d.HasField("dim_value") and d.dim_value != new:
                raise ShapeError(f"{source}: input {name!r} dim {k} is fixed at {d.dim_value} "
                                 f"by the model; the given shape says {new}")
        tt.shape.Clear()
        for new in dims:
            if int(new) <= 0:
                raise ShapeError(f"{source}: input {name!r} shape {list(dims)} has a dim ≤ 0")
            tt.shape.dim.add().dim_value = int(new)


def _infer_shapes(model: onnx.ModelProto) -> onnx.ModelProto:
    try:
        if model.ByteSize() < _TWO_GB:
            return shape_inference.infer_shapes(model, data_prop=True)
    except (ValueError, onnx.shape_inference.InferenceError):
        pass  # our own op inference fills what ONNX could not
    except Exception:  # protobuf >2 GB raises ValueError or EncodeError
        pass
    return model


def _to_ir(model: onnx.ModelProto, opset: int, name: str) -> Graph:
    og = model.graph
    g = Graph(name, opset)
    for k, v in ((p.key, p.value) for p in model.metadata_props):
        g.metadata[k] = v
    for init in og.initializer:
        g.add_const(init.name, numpy_helper.to_array(init))
    for vi in list(og.input) + list(og.value_info) + list(og.output):
        _declare(g, vi)
    g.inputs = [i.name for i in og.input if g.values[i.name].const is None]
    names: set[str] = set()
    for idx, n in enumerate(og.node):
        node_name = n.name or f"{n.op_type}_{idx}"
        while node_name in names:
            node_name = f"{node_name}_{idx}"
        names.add(node_name)
        if n.op_type == "Constant" and n.domain in ("", "ai.onnx"):
            g.add_const(n.output[0], _constant_value(n, node_name))
            continue
        _check_supported(n, node_name, opset)
        attrs = {a.name: convert_attribute(a, node_name, n.op_type) for a in n.attribute}
        g.add_node(Node(node_name, n.op_type, list(n.input), list(n.output), attrs,
                        "" if n.domain == "ai.onnx" else n.domain))
    g.outputs = [o.name for o in og.output]
    for o in g.outputs:
        g.values.setdefault(o, Value(o))
    g.toposort()
    return g


def _declare(g: Graph, vi: onnx.ValueInfoProto) -> None:
    if g.values.get(vi.name) is not None and g.values[vi.name].const is not None:
        return
    dtype = shape = None
    if vi.type.HasField("tensor_type"):
        tt = vi.type.tensor_type
        dtype = onnx_dtype(tt.elem_type) if tt.elem_type else None
        if tt.HasField("shape"):
            shape = tuple(d.dim_value if d.HasField("dim_value") else
                          (d.dim_param or "?") for d in tt.shape.dim)
    g.values[vi.name] = Value(vi.name, dtype, shape)


def _constant_value(n: onnx.NodeProto, node_name: str) -> np.ndarray:
    for a in n.attribute:
        if a.name == "value":
            return numpy_helper.to_array(a.t)
        if a.name == "value_float":
            return np.array(a.f, np.float32)
        if a.name == "value_floats":
            return np.array(list(a.floats), np.float32)
        if a.name == "value_int":
            return np.array(a.i, np.int64)
        if a.name == "value_ints":
            return np.array(list(a.ints), np.int64)
        if a.name == "value_string":
            return np.array(a.s.decode(), dtype=object)
        if a.name == "value_strings":
            return np.array([s.decode() for s in a.strings], dtype=object)
    raise UnsupportedOpError("Constant", node_name, detail="sparse or empty constant value")


def _check_supported(n: onnx.NodeProto, node_name: str, opset: int) -> None:
    domain = "" if n.domain == "ai.onnx" else n.domain
    op = get_op(n.op_type, domain, node=node_name, opset=opset)
    try:
        since = onnx.defs.get_schema(n.op_type, opset, domain or "").since_version
    except onnx.defs.SchemaError:
        raise UnsupportedOpError(n.op_type, node_name, opset=opset,
                                 detail="ONNX has no schema for this op at this opset") from None
    if since not in op.versions:
        raise UnsupportedOpError(
            n.op_type, node_name, opset=opset,
            detail=f"npukit implements the semantics of versions {list(op.versions)}, "
                   f"this opset uses version {since}",
            hint=f"re-export the model at an opset whose {n.op_type} is one of those versions")
