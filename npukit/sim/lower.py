"""Lower a quantized graph into a Program of integer and float records.

A value whose IR entry carries QuantParams lives in integer form; a node runs
as an integer record when its op lowers (``Op.lower_int``) and all its
activation inputs and outputs are quantized, else as a float record on the
CPU with the reason recorded.  Conversions are explicit records: the float
form of value ``v`` is named ``v`` and its integer form ``v@q``; a
``Quantize`` record makes ``v@q`` from ``v`` and ``Dequantize`` the reverse,
each at most once per value.  Program inputs and outputs are float, under the
user's names; a runtime may feed ``v@q`` directly to skip the first Quantize.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npukit.errors import NpukitError
from npukit.ir import Graph, Node, Value
from npukit.ir.dtypes import dtype_name
from npukit.ops import LowerContext, get_op
from npukit.program import FLOAT_KERNEL, OpRecord, Program, ValueSpec, split_attrs

QSUFFIX = "@q"


def int_name(v: str) -> str:
    return v + QSUFFIX


class _Lowering:
    def __init__(self, g: Graph, ctx: LowerContext, force_float: dict[str, str],
                 fp16: dict[str, str]) -> None:
        self.g, self.ctx, self.force_float, self.fp16 = g, ctx, force_float, fp16
        self.records: list[OpRecord] = []
        self.values: dict[str, ValueSpec] = {}
        self.has_float: set[str] = set()
        self.has_int: set[str] = set()

    def spec(self, name: str, v: Value, quant: bool) -> None:
        shape = tuple(d if isinstance(d, int) else -1 for d in (v.shape or ()))
        if quant:
            assert v.quant is not None
            self.values[int_name(name)] = ValueSpec(int_name(name), v.quant.dtype, shape,
                                                     v.quant)
        else:
            self.values[name] = ValueSpec(name, v.dtype or "float32", shape)

    def as_int(self, name: str) -> str:
        if name not in self.has_int:
            v = self.g.values[name]
            q = v.quant
            assert q is not None and name in self.has_float
            self.records.append(OpRecord(
                "Quantize", f"{name}{QSUFFIX}", [name], [int_name(name)],
                {"rounding": self.ctx.rounding, **q.to_json()}, sources=(), engine="cpu",
                reason="float → integer boundary"))
            self.spec(name, v, True)
            self.has_int.add(name)
        return int_name(name)

    def as_float(self, name: str) -> str:
        if name not in self.has_float:
            v = self.g.values[name]
            assert v.quant is not None and name in self.has_int
            self.records.append(OpRecord(
                "Dequantize", f"{name}@dq", [int_name(name)], [name], v.quant.to_json(),
                engine="cpu", reason="integer → float boundary"))
            self.spec(name, v, False)
            self.has_float.add(name)
        return name

    def activation_inputs(self, node: Node) -> list[str]:
        return [i for i in node.inputs if i and self.g.values[i].const is None]

    def lower_node(self, node: Node) -> None:
        op = get_op(node.op_type, node.domain, node=node.name, opset=self.g.opset)
        if node.name in self.fp16 and node.name not in self.force_float:
            self.records.append(self.float_record(node, self.fp16[node.name], fp16=True))
            for o in node.outputs:
                if o:
                    self.spec(o, self.g.values[o], False)
                    self.has_float.add(o)
            return
        reason = self.force_float.get(node.name) or self.int_blocker(node)
        rec: OpRecord | str = reason or op.lower_int(node, self.g, self.ctx)
        if isinstance(rec, OpRecord):
            rec.inputs = [self.as_int(i) for i in self.activation_inputs(node)]
            rec.outputs = [int_name(o) if o else "" for o in node.outputs]
            rec.sources = rec.sources or (node.name,)
            rec.engine = "npu"
            self.records.append(rec)
            for o in node.outputs:
                if o:
                    self.spec(o, self.g.values[o], True)
                    self.has_int.add(o)
            return
        self.records.append(self.float_record(node, rec))
        for o in node.outputs:
            if o:
                self.spec(o, self.g.values[o], False)
                self.has_float.add(o)

    def int_blocker(self, node: Node) -> str:
        for i in self.activation_inputs(node) + [o for o in node.outputs if o]:
            if self.g.values[i].quant is None:
                return f"value {i!r} is not quantized"
        return ""

    def float_record(self, node: Node, reason: str, fp16: bool = False) -> OpRecord:
        """A float record: float32 on the CPU, or (``fp16``) on the NPU's float16 unit,
        its float constants stored as float16 (docs/numerics.md §12)."""
        args: list[list[Any]] = []
        tensors: dict[str, np.ndarray] = {}
        inputs: list[str] = []
        for k, i in enumerate(node.inputs):
            if not i:
                args.append(["none"])
            elif self.g.values[i].const is not None:
                c = np.asarray(self.g.values[i].const)
                tensors[f"in{k}"] = c.astype(np.float16) if fp16 and c.dtype.kind == "f" else c
                args.append(["const", f"in{k}"])
            else:
                inputs.append(self.as_float(i))
                args.append(["value"])
        attrs = split_attrs(node.attrs, tensors)
        extra = {"compute": "float16"} if fp16 else {}
        return OpRecord(FLOAT_KERNEL, node.name, inputs, list(node.outputs),
                        {"op_type": node.op_type, "domain": node.domain, "args": args,
                         "node_attrs": attrs, **extra}, tensors, (node.name,),
                        "npu" if fp16 else "cpu", reason)


def lower(g: Graph, ctx: LowerContext | None = None, *,
          force_float: dict[str, str] | None = None,
          fp16: dict[str, str] | None = None) -> Program:
    """The Program for quantized graph ``g`` (unquantized values stay float).

    ``force_float`` nodes run float32 on the CPU, ``fp16`` nodes float16 on the NPU
    (each mapped to the reason shown in reports; ``force_float`` wins)."""
    ctx = ctx or LowerContext()
    lw = _Lowering(g, ctx, dict(force_float or {}), dict(fp16 or {}))
    for name in g.inputs:
        v = g.values[name]
        if not v.is_static:
            raise NpukitError(f"input {name!r} has a dynamic shape {v.shape}; lowering needs "
                              "static shapes", hint="fix it with --input-shape")
        lw.spec(name, v, False)
        lw.has_float.add(name)
    for node in g.nodes:
        lw.lower_node(node)
    for o in g.outputs:
        lw.as_float(o)
    return Program(lw.records, lw.values, list(g.inputs), list(g.outputs), ctx.rounding,
                   {"graph": g.name, "float_dtype": dtype_name(np.float32)})
