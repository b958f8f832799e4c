"""Frozen op records and the program that orders them.

A record is everything a kernel needs and nothing else: the kernel name, JSON
attributes (geometry, zero points, rounding mode, clamp bounds …), tensors
(int weights, int32 bias, Q31 multipliers, shifts, lookup tables) and the
user node names it came from (provenance), so every report speaks in the
user's names.  The same records run in the simulator and, read back from a
``.npk``, in the runtime: that is why the two agree to the bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from npukit.ir.quant import QuantParams

FLOAT_KERNEL = "float"   # a CPU record: run the op's float kernel (attrs["op_type"])


def split_attrs(attrs: dict[str, Any], tensors: dict[str, np.ndarray]) -> dict[str, Any]:
    """Node attributes as JSON: array attributes move into ``tensors`` (key
    ``attr:<name>``) and are referenced as ``{"tensor": key}``."""
    out: dict[str, Any] = {}
    for key, a in attrs.items():
        if isinstance(a, np.ndarray):
            tensors[f"attr:{key}"] = a
            out[key] = {"tensor": f"attr:{key}"}
        else:
            out[key] = a
    return out


def join_attrs(attrs: dict[str, Any], tensors: dict[str, np.ndarray]) -> dict[str, Any]:
    """The inverse of :func:`split_attrs`."""
    return {k: tensors[v["tensor"]] if isinstance(v, dict) and "tensor" in v else v
            for k, v in attrs.items()}


@dataclass
class OpRecord:
    kernel: str
    name: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    engine: str = "npu"          # "npu" (integer, or fp16 float) or "cpu" (float, Q/DQ)
    reason: str = ""             # why it runs where it runs

    @property
    def integer_layer(self) -> bool:
        """An integer kernel on the NPU (not an fp16 float record, not a conversion)."""
        return self.engine == "npu" and self.kernel != FLOAT_KERNEL

    def to_json(self) -> dict[str, Any]:
        """Manifest entry; tensors are referenced by name ``<record>/<key>``."""
        return {"kernel": self.kernel, "name": self.name, "inputs": self.inputs,
                "outputs": self.outputs, "attrs": self.attrs, "sources": list(self.sources),
                "engine": self.engine, "reason": self.reason,
                "tensors": sorted(self.tensors)}

    @classmethod
    def from_json(cls, d: dict[str, Any], tensors: dict[str, np.ndarray]) -> OpRecord:
        return cls(d["kernel"], d["name"], list(d["inputs"]), list(d["outputs"]),
                   dict(d["attrs"]), {k: tensors[f"{d['name']}/{k}"] for k in d["tensors"]},
                   tuple(d["sources"]), d.get("engine", "npu"), d.get("reason", ""))


@dataclass
class ValueSpec:
    """A value the program passes between records (or in/out of it)."""

    name: str
    dtype: str                    # storage dtype: int8/uint8/int16/int32 or float32 …
    shape: tuple[int, ...]
    quant: QuantParams | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape),
                "quant": None if self.quant is None else self.quant.to_json()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ValueSpec:
        q = d.get("quant")
        return cls(d["name"], d["dtype"], tuple(d["shape"]),
                   None if q is None else QuantParams.from_json(q))


@dataclass
class Program:
    """Records in execution order, the values between them and the I/O signature."""

    records: list[OpRecord]
    values: dict[str, ValueSpec]
    inputs: list[str]
    outputs: list[str]
    rounding: str = "half_away_from_zero"
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"records": [r.to_json() for r in self.records],
                "values": [v.to_json() for v in self.values.values()],
                "inputs": self.inputs, "outputs": self.outputs, "rounding": self.rounding,
                "meta": self.meta}

    def tensors(self) -> dict[str, np.ndarray]:
        return {f"{r.name}/{k}": t for r in self.records for k, t in r.tensors.items()}

    @classmethod
    def from_json(cls, d: dict[str, Any], tensors: dict[str, np.ndarray]) -> Program:
        values = {v["name"]: ValueSpec.from_json(v) for v in d["values"]}
        return cls([OpRecord.from_json(r, tensors) for r in d["records"]], values,
                   list(d["inputs"]), list(d["outputs"]), d.get("rounding",
                                                                "half_away_from_zero"),
                   dict(d.get("meta", {})))
