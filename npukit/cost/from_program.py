"""A lowered :class:`~npukit.program.Program` as cost layers.

Integer records are NPU layers in their output's dtype, float records CPU
layers; ``Quantize`` / ``Dequantize`` records are the conversions.  Sizes
come from the program's value specs, weights from the record tensors
(weights, int32 bias, requantization multipliers and shifts, tables).
"""

from __future__ import annotations

from typing import Any

from npukit.cost.layers import (
    CPU_FLOPS_PER_ELEM,
    KERNEL_KINDS,
    OP_KINDS,
    VIEW_OPS,
    ConvGeom,
    Layer,
    conv_kind,
    itemsize,
    numel,
)
from npukit.cost.params import CostError
from npukit.ir import Node
from npukit.ops import TensorType, get_op
from npukit.program import FLOAT_KERNEL, OpRecord, Program

PROFILE_DTYPES = {"int8": "int8", "uint8": "uint8", "int16": "int16", "int4": "int4",
                  "float16": "fp16", "bfloat16": "bf16", "float32": "fp32"}


def _value(p: Program, name: str) -> tuple[tuple[int, ...], int]:
    v = p.values.get(name)
    if v is None:
        return (), 0
    if any(d < 0 for d in v.shape):
        raise CostError(f"program value {name!r} has an unknown dim {list(v.shape)}; "
                        "an estimate needs static shapes",
                        hint="compile the model for fixed input shapes (--input-shape)")
    return v.shape, numel(v.shape) * itemsize(v.dtype)


def _conv_geom(rec: OpRecord, p: Program) -> ConvGeom | None:
    w = rec.tensors.get("weights")
    if w is None or not rec.inputs or not rec.outputs:
        return None
    x, _ = _value(p, rec.inputs[0])
    y, _ = _value(p, rec.outputs[0])
    size = itemsize(p.values[rec.inputs[0]].dtype)
    kernel = tuple(int(k) for k in w.shape[2:])
    strides = tuple(int(s) for s in rec.attrs.get("strides", [1] * len(kernel)))
    row = (x[-1] if x else 1) * (x[1] if len(x) > 1 else 1) * (kernel[0] if kernel else 1) * size
    return ConvGeom(int(x[0]), int(x[1]), int(y[1]), int(rec.attrs.get("group", 1)),
                    numel(y[2:]), kernel, strides, int(row))


def _matmul_geom(rec: OpRecord, p: Program) -> ConvGeom | None:
    y, _ = _value(p, rec.outputs[0])
    x, _ = _value(p, rec.inputs[0])
    if not y or not x:
        return None
    k = int(x[0] if rec.attrs.get("trans_a") else x[-1]) if len(x) > 1 else int(x[0])
    size = itemsize(p.values[rec.inputs[0]].dtype)
    rows = int(y[-2]) if len(y) > 1 else 1
    return ConvGeom(numel(y[:-2]), k, int(y[-1]), 1, rows, (1,), (1,), k * size)


def _float_macs(rec: OpRecord, p: Program) -> int:
    """MACs of a float record, from its op's own count."""
    a = rec.attrs
    try:
        op = get_op(a["op_type"], a.get("domain", ""), node=rec.name)
        names, ins, it = [], [], iter(rec.inputs)
        for arg in a.get("args", []):
            if arg[0] == "value":
                n = next(it)
                v = p.values[n]
                names.append(n)
                ins.append(TensorType(v.dtype, v.shape))
            elif arg[0] == "const":
                names.append(rec.name + "/" + arg[1])
                t = rec.tensors[arg[1]]
                ins.append(TensorType(str(t.dtype), tuple(t.shape)))
            else:
                names.append("")
                ins.append(None)
        attrs = {k: v for k, v in a.get("node_attrs", {}).items() if not isinstance(v, dict)}
        node = Node(rec.name, a["op_type"], names, list(rec.outputs), attrs, a.get("domain", ""))
        outs = [TensorType(p.values[o].dtype, p.values[o].shape) if o in p.values else None
                for o in rec.outputs]
        return int(op.macs(node, ins, outs))
    except Exception:  # noqa: BLE001 - a report must not fail on an op's MAC count
        return 0


def record_layer(rec: OpRecord, p: Program) -> Layer:
    """The cost layer of one record."""
    ins = tuple(i for i in rec.inputs if i)
    outs = tuple(o for o in rec.outputs if o)
    in_b = tuple(_value(p, i)[1] for i in ins)
    out_b = tuple(_value(p, o)[1] for o in outs)
    elems = sum(numel(_value(p, o)[0]) for o in outs)
    op_type: str = rec.attrs.get("op_type", rec.kernel) if rec.kernel in (
        FLOAT_KERNEL, "Move", "Lut") else rec.kernel
    wbytes = int(sum(t.nbytes for t in rec.tensors.values()))
    extra: dict[str, Any] = {}
    if rec.kernel == FLOAT_KERNEL and rec.engine == "npu":      # fp16 on the NPU
        kind = "view" if op_type in VIEW_OPS else OP_KINDS.get(op_type, "elementwise")
        half = lambda bs: tuple(b // 2 for b in bs)  # noqa: E731 - held as float32 here
        return Layer(rec.name, op_type, kind, "npu", "fp16", ins, outs, half(in_b),
                     half(out_b), elems, _float_macs(rec, p), wbytes,
                     elems * max(1, len(ins)), None, rec.sources, rec.reason)
    if rec.engine != "npu":
        kind = "convert" if rec.kernel in ("Quantize", "Dequantize") else "cpu"
        if op_type in VIEW_OPS:
            kind = "view"
        io = any(i in p.inputs for i in ins) or any(o in p.outputs for o in outs)
        macs = _float_macs(rec, p) if rec.kernel == FLOAT_KERNEL else 0
        return Layer(rec.name, op_type, kind, "cpu", "fp32", ins, outs, in_b, out_b, elems,
                     macs, wbytes, 0, None, rec.sources, rec.reason, io and kind == "convert",
                     CPU_FLOPS_PER_ELEM.get(op_type, 1.0))
    kind = KERNEL_KINDS.get(rec.kernel, "elementwise")
    if rec.kernel == "Move":
        kind = "view" if op_type in VIEW_OPS else OP_KINDS.get(op_type, "move")
    geom = None
    macs = 0
    if rec.kernel in ("Conv", "ConvTranspose"):
        geom = _conv_geom(rec, p)
        if geom is not None:
            kind = conv_kind(geom.cin, geom.cout, geom.groups)
            macs = geom.batch * geom.out_pixels * geom.cout * (geom.cin // geom.groups) * geom.taps
        if geom is not None and rec.kernel == "ConvTranspose":   # every input pixel × kernel
            macs = numel(_value(p, ins[0])[0]) * numel(rec.tensors["weights"].shape[1:])
    elif rec.kernel == "MatMul":
        geom = _matmul_geom(rec, p)
        macs = geom.batch * geom.out_pixels * geom.cout * geom.cin if geom else 0
    work = elems * max(1, len(ins))
    if kind == "pool":      # line-buffered window: each input element read once
        work = max(elems, sum(numel(_value(p, i)[0]) for i in ins))
    out_dtype = p.values[outs[0]].dtype if outs else "int8"
    return Layer(rec.name, op_type, kind, "npu", PROFILE_DTYPES.get(out_dtype, "int8"),
                 ins, outs, in_b, out_b, elems, macs, wbytes if kind != "view" else 0, work,
                 geom, rec.sources, rec.reason, extra=extra)


def program_layers(p: Program) -> list[Layer]:
    """Cost layers of every record of ``p``, in execution order."""
    return [record_layer(r, p) for r in p.records]
