"""Helpers for integer-kernel tests: quantize a small float graph by hand and
run its lowered program with the fast kernels and with the references."""

from __future__ import annotations

import numpy as np

from npukit.ir import Graph, QuantParams
from npukit.numerics.quantize import choose_qparams
from npukit.ops import LowerContext
from npukit.sim import FloatExecutor
from npukit.sim.lower import lower
from npukit.sim.program_executor import ProgramExecutor


def quantize_by_hand(g: Graph, feeds: dict, dtype: str = "int8", wdtype: str = "int8",
                     symmetric: bool = False) -> Graph:
    """Calibrate ``g`` on ``feeds`` (min/max) and attach QuantParams everywhere float."""
    g = g.copy()
    ranges: dict[str, tuple[float, float]] = {}
    for k, v in feeds.items():
        ranges[k] = (float(v.min()), float(v.max()))

    def hook(node, outs):
        for o, a in zip(node.outputs, outs):
            if o and a.dtype.kind == "f":
                ranges[o] = (float(a.min()), float(a.max()))

    FloatExecutor(g).run(feeds, hooks=[hook])
    for name, (lo, hi) in ranges.items():
        s, z = choose_qparams(lo, hi, dtype, symmetric)
        g.values[name].quant = QuantParams(dtype, s.reshape(1), z.reshape(1))
    for node in g.nodes:
        if node.op_type in ("Conv", "Gemm", "MatMul", "ConvTranspose") and \
                g.values[node.inputs[1]].const is not None:
            w = g.values[node.inputs[1]].const
            axis = {"Conv": 0, "ConvTranspose": 1, "MatMul": w.ndim - 1,
                    "Gemm": 0 if node.attrs.get("transB", 0) else 1}[node.op_type]
            red = tuple(i for i in range(w.ndim) if i != axis)
            amax = np.abs(w).max(axis=red)
            s, z = choose_qparams(-amax, amax, wdtype, True, narrow=True)
            g.values[node.inputs[1]].quant = QuantParams(wdtype, s, z, axis)
    return g


def run_both(g: Graph, feeds: dict, rounding: str = "half_away_from_zero"):
    prog = lower(g, LowerContext(rounding))
    fast = ProgramExecutor(prog).run(feeds, keep=[r for rec in prog.records
                                                  for r in rec.outputs])
    ref = ProgramExecutor(prog, reference=True).run(feeds, keep=[r for rec in prog.records
                                                                 for r in rec.outputs])
    return prog, fast, ref
