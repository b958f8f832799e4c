"""Weight packing: int4 weights two per byte; everything else stored as is.

A record tensor is packed when the record runs on the NPU and the graph
value it was quantized from carries int4 QuantParams (the quantizer's
``weights="int4"`` or a per-node ``int4`` override).  Per-channel scales live
in the record's requantization multipliers and in the graph's QuantParams;
packing changes only how the codes are stored.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npukit.errors import NpukitError
from npukit.ir import Graph
from npukit.ops import get_op
from npukit.program import OpRecord, Program
from npukit.program.packing import INT4X2, pack_int4

WEIGHT_KEY = "weights"


def _int4_weights(rec: OpRecord, g: Graph) -> bool:
    if rec.engine != "npu" or WEIGHT_KEY not in rec.tensors or not rec.sources:
        return False
    try:
        node = g.node(rec.sources[0])
    except NpukitError:
        return False
    for idx in get_op(node.op_type, node.domain, node=node.name).weight_axes(node):
        v = g.values.get(node.inputs[idx]) if idx < len(node.inputs) else None
        if v is not None and v.quant is not None and v.quant.dtype == "int4":
            return True
    return False


def pack_weights(program: Program, g: Graph) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """``(stored tensors, packing section)`` for ``program``'s record tensors."""
    tensors = program.tensors()
    packing: dict[str, Any] = {}
    for rec in program.records:
        if not _int4_weights(rec, g):
            continue
        name = f"{rec.name}/{WEIGHT_KEY}"
        w = tensors[name]
        try:
            tensors[name] = pack_int4(w)
        except ValueError:
            raise NpukitError(f"record {rec.name!r}: int4 weights hold values outside "
                              "[-8, 7] (a quantizer bug; please report it)") from None
        packing[name] = {"format": INT4X2, "dtype": str(w.dtype), "shape": list(w.shape)}
    return tensors, packing
