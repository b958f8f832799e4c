"""Empirical bias correction (Nagel et al. 2019, §4.2; AIMET's empirical variant).

Quantizing weights (and rounding / clipping activations) shifts the mean of a
layer's output: ``E[ŷ − y] = ε_c`` per output channel.  Later layers read that
shift as signal.  Correction subtracts ``ε_c`` from the layer's float bias in
the *quantized* graph (the float reference is untouched).

``ε_c`` is measured layer by layer, each fed the golden (float) inputs
quantized with their own params ("single" mode of the accuracy analysis), so
a layer is charged only for its own error, and one pass over the samples
serves every layer at once.  Where a clamp is fused (Relu, Relu6) the mean is
taken only over outputs whose float value lies strictly inside the clamp:
there the output is linear in the pre-activation, whose shift is what the bias
moves.  Per channel the estimate is shrunk by ``max(0, 1 − se²/ε²)`` (``se``
its standard error), so channels with few or noisy samples are barely moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np

from npukit.ir import Graph, Node, Value
from npukit.numerics.quantize import dequantize, quantize
from npukit.numerics.rounding import RoundingMode
from npukit.program import OpRecord, Program
from npukit.quant.algorithms.stream import SequentialStream
from npukit.sim import FloatExecutor
from npukit.sim.program_executor import ProgramExecutor

CORRECTED_OPS = ("Conv", "ConvTranspose", "Gemm")


@dataclass
class _Moments:
    n: np.ndarray
    s1: np.ndarray
    s2: np.ndarray

    @classmethod
    def zeros(cls, c: int) -> _Moments:
        return cls(np.zeros(c), np.zeros(c), np.zeros(c))

    def shift(self) -> np.ndarray:
        """Shrunk per-channel mean (0 where a channel saw fewer than 2 values)."""
        n = np.maximum(self.n, 1.0)
        mean = self.s1 / n
        var = np.maximum(self.s2 / n - mean ** 2, 0.0)
        se2 = var / np.maximum(self.n - 1.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            keep = np.where(mean != 0, np.maximum(0.0, 1.0 - se2 / mean ** 2), 0.0)
        return np.where(self.n >= 2, mean * keep, 0.0)


@dataclass
class BiasReport:
    """Per corrected node: the largest |shift| applied and its ratio to the bias scale."""

    shifts: dict[str, float] = field(default_factory=dict)
    samples: int = 0


def _linear_bounds(node: Node) -> tuple[float, float]:
    act = node.attrs.get("activation")
    if act == "Relu":
        return 0.0, np.inf
    if act == "Clip":
        p = [float(x) for x in node.attrs.get("activation_params", [])]
        return (p[0] if p else -np.inf), (p[1] if len(p) > 1 else np.inf)
    return -np.inf, np.inf


def _targets(g: Graph, prog: Program) -> dict[str, int]:
    """Correctable node name → index of its integer record."""
    index = {rec.sources[0]: k for k, rec in enumerate(prog.records)
             if rec.integer_layer and len(rec.sources) == 1}
    out = {}
    for node in g.nodes:
        if node.op_type not in CORRECTED_OPS or node.name not in index:
            continue
        if node.op_type == "Gemm" and (float(node.attr("beta", 1.0)) != 1.0
                                       or len(node.inputs) < 3 or not node.inputs[2]):
            continue
        out[node.name] = index[node.name]
    return out


def _measure(node: Node, rec_out: np.ndarray, gold: np.ndarray, m: _Moments) -> None:
    lo, hi = _linear_bounds(node)
    d = (rec_out.astype(np.float64) - gold).swapaxes(0, 1).reshape(gold.shape[1], -1)
    inside = ((gold > lo) & (gold < hi)).swapaxes(0, 1).reshape(gold.shape[1], -1)
    d = np.where(inside, d, 0.0)
    m.n += inside.sum(axis=1)
    m.s1 += d.sum(axis=1)
    m.s2 += (d * d).sum(axis=1)


def measure_shifts(float_graph: Graph, qgraph: Graph, prog: Program,
                   feeds: Iterable[Mapping[str, np.ndarray]]) -> tuple[dict[str, np.ndarray], int]:
    """Per correctable node, the shrunk mean output error per channel."""
    targets = _targets(qgraph, prog)
    nodes = {n.name: n for n in qgraph.nodes if n.name in targets}
    keep = {nodes[k].inputs[0] for k in nodes} | {nodes[k].outputs[0] for k in nodes}
    fx, px = FloatExecutor(float_graph), ProgramExecutor(prog)
    mode = RoundingMode.parse(prog.rounding)
    moments: dict[str, _Moments] = {}
    samples = 0
    for feed in feeds:
        gold = {**feed, **fx.run(feed, keep=keep)}
        for name, k in targets.items():
            rec, node = prog.records[k], nodes[name]
            qin = prog.values[rec.inputs[0]].quant
            qout = prog.values[rec.outputs[0]].quant
            if qin is None or qout is None or node.inputs[0] not in gold:
                continue
            x = quantize(gold[node.inputs[0]], qin.scale, qin.zero_point, qin.dtype, mode,
                         axis=qin.axis)
            y = dequantize(px.run_record(k, [x])[0], qout.scale, qout.zero_point,
                           axis=qout.axis)
            ref = np.asarray(gold[node.outputs[0]], np.float64)
            _measure(node, y, ref, moments.setdefault(name, _Moments.zeros(ref.shape[1])))
        samples += 1
    return {k: m.shift() for k, m in moments.items()}, samples


def _set_bias(g: Graph, node: Node, bias: np.ndarray) -> None:
    if len(node.inputs) > 2 and node.inputs[2]:
        v = g.values[node.inputs[2]]
        g.values[node.inputs[2]] = Value(v.name, v.dtype, v.shape,
                                         bias.astype(v.const.dtype if v.const is not None
                                                     else np.float32), v.quant)
        return
    name = g.unique_name(f"{node.name}.bias_corrected")
    g.add_const(name, bias.astype(np.float32))
    while len(node.inputs) < 3:
        node.inputs.append("")
    node.inputs[2] = name
    g.invalidate()


def correct_bias(float_graph: Graph, qgraph: Graph, prog: Program,
                 feeds: Iterable[Mapping[str, np.ndarray]]) -> BiasReport:
    """Measure each layer's mean output error on ``feeds`` and fold it into the
    float biases of ``qgraph`` (edited in place; re-lower it afterwards)."""
    shifts, samples = measure_shifts(float_graph, qgraph, prog, feeds)
    report = BiasReport(samples=samples)
    for node in qgraph.nodes:
        eps = shifts.get(node.name)
        if eps is None or not np.any(eps):
            continue
        old = qgraph.const(node.inputs[2]) if len(node.inputs) > 2 and node.inputs[2] \
            else None
        base = np.zeros(eps.shape) if old is None else np.asarray(old, np.float64)
        _set_bias(qgraph, node, base - eps)
        report.shifts[node.name] = float(np.max(np.abs(eps)))
    return report


def _acc_scale(qgraph: Graph, node: Node, prog: Program, rec: OpRecord) -> np.ndarray:
    """Real value of one accumulator LSB per output channel (``s_in·s_w[c]``, ×alpha)."""
    s_in = float(prog.values[rec.inputs[0]].quant.scale[0])  # type: ignore[union-attr]
    wq = qgraph.values[node.inputs[1]].quant
    assert wq is not None
    alpha = float(node.attr("alpha", 1.0)) if node.op_type == "Gemm" else 1.0
    s = s_in * alpha * wq.scale.astype(np.float64)
    n = rec.tensors["bias"].size
    if s.size not in (1, n):                  # grouped ConvTranspose: scales per group
        s = np.tile(s, n // s.size)
    return np.broadcast_to(s, rec.tensors["bias"].shape)


def correct_bias_sequential(float_graph: Graph, qgraph: Graph, prog: Program,
                            feeds: Iterable[Mapping[str, np.ndarray]]) -> BiasReport:
    """Like :func:`correct_bias`, but each layer is measured on the outputs of the
    already-corrected quantized layers before it (end to end, in program order), so
    it also absorbs the mean shift that upstream noise causes through clamps."""
    feeds = list(feeds)
    targets = _targets(qgraph, prog)
    report = BiasReport(samples=len(feeds))
    if not targets:
        return report
    by_index = {k: qgraph.node(name) for name, k in targets.items()}
    st = SequentialStream(float_graph, prog, feeds)
    for k, rec in enumerate(prog.records):
        for src in rec.sources:
            st.float_until(src)
        outs = st.record(k)
        node = by_index.get(k)
        if node is not None:
            qout = prog.values[rec.outputs[0]].quant
            assert qout is not None
            m = _Moments.zeros(outs[0][0].shape[1])
            for env, o in zip(st.fenv, outs):
                y = dequantize(o[0], qout.scale, qout.zero_point, axis=qout.axis)
                _measure(node, y, np.asarray(env[node.outputs[0]], np.float64), m)
            eps = m.shift()
            if np.any(eps):
                step = _acc_scale(qgraph, node, prog, rec)
                new = rec.tensors["bias"].astype(np.float64) - np.round(eps / step)
                rec.tensors["bias"] = np.clip(new, -2.0 ** 31, 2.0 ** 31 - 1).astype(np.int32)
                st.px.refresh(k)
                outs = st.record(k)
                old = qgraph.const(node.inputs[2]) if len(node.inputs) > 2 and \
                    node.inputs[2] else None
                base = np.zeros(eps.shape) if old is None else np.asarray(old, np.float64)
                _set_bias(qgraph, node, base - eps)
                report.shifts[node.name] = float(np.max(np.abs(eps)))
        st.store(k, outs)
    return report


__all__ = ["BiasReport", "CORRECTED_OPS", "correct_bias", "correct_bias_sequential",
           "measure_shifts"]
