"""ONNX attribute and element-type conversion to plain Python / NumPy values."""

from __future__ import annotations

from typing import Any

import onnx
from onnx import helper, numpy_helper

from npukit.errors import UnsupportedOpError
from npukit.ir import dtype_name


def onnx_dtype(elem_type: int) -> str | None:
    try:
        np_dt = helper.tensor_dtype_to_np_dtype(elem_type)
    except (KeyError, ValueError):
        return None
    try:
        return dtype_name(np_dt)
    except TypeError:
        return None


def convert_attribute(a: onnx.AttributeProto, node: str, op_type: str) -> Any:
    t = a.type
    A = onnx.AttributeProto
    if t == A.FLOAT:
        return float(a.f)
    if t == A.INT:
        return int(a.i)
    if t == A.STRING:
        return a.s.decode("utf-8")
    if t == A.FLOATS:
        return [float(x) for x in a.floats]
    if t == A.INTS:
        return [int(x) for x in a.ints]
    if t == A.STRINGS:
        return [s.decode("utf-8") for s in a.strings]
    if t == A.TENSOR:
        return numpy_helper.to_array(a.t)
    raise UnsupportedOpError(op_type, node, detail=f"attribute {a.name!r} of type "
                             f"{A.AttributeType.Name(t)} (subgraphs and sparse tensors are "
                             "not supported)")
