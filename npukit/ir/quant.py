"""Quantization parameters, frozen and typed, attached to IR values.

``real = scale × (q − zero_point)``.  Per-tensor params hold one scale and
one zero point; per-channel params (weights) hold one per index along
``axis``.  See docs/numerics.md for the full contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

QDTYPES = ("int4", "uint4", "int8", "uint8", "int16", "uint16", "int32")


@dataclass(frozen=True, eq=False)
class QuantParams:
    """How one tensor is quantized: dtype, scale(s), zero point(s), channel axis."""

    dtype: str
    scale: np.ndarray = field(repr=False)
    zero_point: np.ndarray = field(repr=False)
    axis: int | None = None

    def __post_init__(self) -> None:
        if self.dtype not in QDTYPES:
            raise ValueError(f"quant dtype {self.dtype!r} is not one of {QDTYPES}")
        s = np.atleast_1d(np.asarray(self.scale, np.float32)).copy()
        z = np.atleast_1d(np.asarray(self.zero_point, np.int32)).copy()
        if s.shape != z.shape or s.ndim != 1:
            raise ValueError("scale and zero_point must be 1-D and the same length")
        if not np.all(np.isfinite(s)) or np.any(s <= 0):
            raise ValueError("scales must be finite and > 0")
        if self.axis is None and s.size != 1:
            raise ValueError("per-tensor params take one scale; give axis for per-channel")
        s.flags.writeable = False
        z.flags.writeable = False
        object.__setattr__(self, "scale", s)
        object.__setattr__(self, "zero_point", z)

    @classmethod
    def per_tensor(cls, dtype: str, scale: float, zero_point: int = 0) -> QuantParams:
        return cls(dtype, np.array([scale], np.float32), np.array([zero_point], np.int32))

    @property
    def per_channel(self) -> bool:
        return self.axis is not None

    @property
    def bits(self) -> int:
        return {"int4": 4, "uint4": 4, "int8": 8, "uint8": 8, "int16": 16, "uint16": 16,
                "int32": 32}[self.dtype]

    @property
    def qmin(self) -> int:
        return -(1 << (self.bits - 1)) if not self.dtype.startswith("u") else 0

    @property
    def qmax(self) -> int:
        if self.dtype.startswith("u"):
            return (1 << self.bits) - 1
        return (1 << (self.bits - 1)) - 1

    def same_as(self, other: QuantParams | None) -> bool:
        return (other is not None and self.dtype == other.dtype and self.axis == other.axis
                and np.array_equal(self.scale, other.scale)
                and np.array_equal(self.zero_point, other.zero_point))

    def to_json(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "scale": [float(x) for x in self.scale],
                "zero_point": [int(x) for x in self.zero_point], "axis": self.axis}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> QuantParams:
        return cls(d["dtype"], np.asarray(d["scale"], np.float32),
                   np.asarray(d["zero_point"], np.int32), d.get("axis"))
