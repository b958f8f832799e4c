"""Activation clip ranges chosen by the error they cause in the next layer's output.

A tensor-level criterion (min/max, MSE of the tensor itself, KL) ignores how
a layer uses its input: clipping a rare large activation may cost little in a
Conv output, or a lot.  For every activation whose consumers are all GEMM-like
(``Conv``, ``Gemm``, ``MatMul``, as their data input) this search tries clip
ranges ``ratio × (lo, hi)`` of the calibrated range, fake-quantizes the input
with each (same dtype / scheme as the deployed params), runs the consumers in
float and keeps the ratio with the least squared error against the float
outputs, summed over a few calibration samples.  Ratio 1 (the calibrated
range) is always a candidate, so on the search samples it never does worse.
One sample is held in memory at a time.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np

from npukit.ir import Graph, Node
from npukit.numerics.quantize import choose_qparams, dequantize, quantize
from npukit.numerics.rounding import RoundingMode
from npukit.ops import get_op
from npukit.sim import FloatExecutor

Range = tuple[float, float]
GEMM_OPS = ("Conv", "Gemm", "MatMul")
RATIOS = (1.0, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2)


def searchable(g: Graph) -> dict[str, list[Node]]:
    """Activation value → its consumers, for values read only by GEMM-like data inputs."""
    out = {}
    for name, v in g.values.items():
        if v.const is not None or name in g.outputs:
            continue
        cons = g.consumers(name)
        if cons and all(n.op_type in GEMM_OPS and n.inputs[0] == name
                        and name not in n.inputs[1:] for n in cons):
            out[name] = cons
    return out


def _fake_quant(x: np.ndarray, rng: Range, dtype: str, symmetric: bool,
                mode: RoundingMode) -> np.ndarray:
    s, z = choose_qparams(rng[0], rng[1], dtype, symmetric)
    return dequantize(quantize(x, s, z, dtype, mode), s, z)


def search_ranges(g: Graph, ranges: Mapping[str, Range], feeds: Iterable[Mapping],
                  *, dtype: str = "int8", symmetric: bool = False,
                  rounding: str = "half_away_from_zero",
                  ratios: tuple[float, ...] = RATIOS) -> dict[str, Range]:
    """New ranges for the searchable values of ``g`` (others are not returned)."""
    mode = RoundingMode.parse(rounding)
    cands = {v: c for v, c in searchable(g).items() if v in ranges}
    keep = set(cands) | {n.outputs[0] for c in cands.values() for n in c}
    consts = g.constants()
    ops = {n.name: get_op(n.op_type, n.domain, node=n.name, opset=g.opset)
           for c in cands.values() for n in c}
    err = {v: np.zeros(len(ratios)) for v in cands}
    fx = FloatExecutor(g)
    for feed in feeds:
        gold = {**feed, **fx.run(feed, keep=keep)}
        for v, consumers in cands.items():
            lo, hi = ranges[v]
            for k, r in enumerate(ratios):
                xq = _fake_quant(np.asarray(gold[v]), (lo * r, hi * r), dtype, symmetric, mode)
                for n in consumers:
                    args = [xq] + [consts.get(i) if i else None for i in n.inputs[1:]]
                    y = ops[n.name].run(n, args)[0]
                    err[v][k] += float(np.sum((y.astype(np.float64) - gold[n.outputs[0]]) ** 2))
    best = {v: ratios[int(np.argmin(e))] for v, e in err.items()}
    return {v: (ranges[v][0] * r, ranges[v][1] * r) for v, r in best.items()}
