"""``TensorInfo``: one model input or output as the caller sees it (name, shape, dtype ...)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from npukit.ir.quant import QuantParams


@dataclass(frozen=True)
class TensorInfo:
    """One model input or output as the caller sees it."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    layout: str
    quant: QuantParams | None
    quant_name: str | None
    model_layout: str = "NCHW"

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> TensorInfo:
        q = d.get("quant")
        return cls(d["name"], tuple(int(x) for x in d["shape"]), d["dtype"], d["layout"],
                   None if q is None else QuantParams.from_json(q), d.get("quant_name"),
                   d.get("model_layout", "NCHW"))
