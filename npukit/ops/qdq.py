"""QuantizeLinear / DequantizeLinear (ONNX ops) and the Quantize / Dequantize
integer-boundary kernels of lowered programs.

ONNX QuantizeLinear rounds half to even and saturates; the program's
``Quantize`` record uses the target's rounding mode instead (they coincide on
targets that round half to even).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from npukit.errors import UnsupportedOpError
from npukit.ir import Node
from npukit.numerics.quantize import dequantize, quantize
from npukit.numerics.rounding import RoundingMode
from npukit.ops.registry import IntKernel, Op, TensorType, register, register_kernel
from npukit.program import OpRecord

_ONNX_QTYPES = {"int8", "uint8", "int16", "uint16", "int32"}


_ONNX_ENUM = {2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32"}


def _axis_for(node: Node, x: np.ndarray, scale: np.ndarray) -> int | None:
    if node.attr("block_size", 0):
        raise UnsupportedOpError(node.op_type, node.name, detail="blocked quantization")
    if np.size(scale) == 1:
        return None
    return int(node.attr("axis", 1)) % max(x.ndim, 1)


def _out_dtype(node: Node, zp_dtype: str | None) -> str:
    if zp_dtype is not None:
        return zp_dtype
    code = int(node.attr("output_dtype", 0))
    if code and code not in _ONNX_ENUM:
        raise UnsupportedOpError(node.op_type, node.name,
                                 detail=f"output_dtype {code} (only 8/16/32-bit integers)")
    return _ONNX_ENUM.get(code, "uint8")


@register
class QuantizeLinear(Op):
    op_type = "QuantizeLinear"
    versions = (13, 19, 21)

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        zp = ins[2] if len(ins) > 2 else None
        return [TensorType(_out_dtype(node, zp.dtype if zp else None),
                           ins[0].shape if ins[0] else None)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, scale = inputs[0], np.asarray(inputs[1])
        zp = inputs[2] if len(inputs) > 2 and inputs[2] is not None else \
            np.zeros((), _out_dtype(node, None))
        if zp.dtype.name not in _ONNX_QTYPES:
            raise UnsupportedOpError("QuantizeLinear", node.name,
                                     detail=f"output type {zp.dtype} (only integer types)")
        axis = _axis_for(node, x, scale)
        q = quantize(x, scale.astype(np.result_type(x.dtype, np.float32)).reshape(-1),
                     np.asarray(zp).reshape(-1).astype(np.int64), zp.dtype.name,
                     RoundingMode.HALF_TO_EVEN, axis=axis)
        return [q.astype(zp.dtype)]


@register
class DequantizeLinear(Op):
    op_type = "DequantizeLinear"
    versions = (13, 19, 21)

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [TensorType(ins[1].dtype if ins[1] else "float32",
                           ins[0].shape if ins[0] else None)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        q, scale = np.asarray(inputs[0]), np.asarray(inputs[1])
        zp = inputs[2] if len(inputs) > 2 and inputs[2] is not None else np.zeros((), q.dtype)
        if q.dtype.kind not in "iu":
            raise UnsupportedOpError("DequantizeLinear", node.name,
                                     detail=f"input type {q.dtype} (only integer types)")
        axis = _axis_for(node, q, scale)
        return [dequantize(q, scale.reshape(-1), np.asarray(zp).reshape(-1), axis=axis,
                           out_dtype=scale.dtype)]


def _params(rec: OpRecord) -> tuple[np.ndarray, np.ndarray, int | None]:
    a = rec.attrs
    return (np.asarray(a["scale"], np.float32), np.asarray(a["zero_point"], np.int32),
            a.get("axis"))


@register_kernel
class QuantizeKernel(IntKernel):
    """float → integer codes with the target's rounding (float32 division)."""

    name = "Quantize"

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        s, z, axis = _params(rec)
        x = np.asarray(inputs[0], np.float32)
        return [quantize(x, s, z, rec.attrs["dtype"], RoundingMode.parse(
            rec.attrs["rounding"]), axis=axis)]

    ref = run  # one vectorised definition; numerics.quantize is itself tested to the bit


@register_kernel
class DequantizeKernel(IntKernel):
    """integer codes → float32 ``scale × (q − zero_point)``."""

    name = "Dequantize"

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        s, z, axis = _params(rec)
        return [dequantize(inputs[0], s, z, axis=axis)]

    ref = run
