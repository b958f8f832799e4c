"""AdaRound in the quantizer: learn whether each weight rounds up or down.

Nearest rounding minimises each weight's own error, not the layer's output
error; AdaRound (Nagel et al. 2020) chooses per weight between ``floor(w/s)``
and one above so that the layer's outputs stay close to the float model's.
The optimisation itself is in ``adaround_solver.py``; this module feeds it and
writes the result back.

Per Conv / Gemm / MatMul layer with constant, unshared weights that runs as an
integer record, in program order, the loss is ``‖W x − W̃ x'‖²`` with target
``W x``: the float layer (no bias, no activation) on its *golden* float inputs.
The inputs ``x'`` are, by ``mode``:

* ``single`` (default): the golden inputs too, so each layer is fitted to its
  own weight-rounding error only (the accuracy analysis's "single" view);
* ``sequential``: the layer's inputs in the quantized model behind the layers
  already rounded (the asymmetric reconstruction of the paper), so the rounding
  may also try to absorb upstream error.

On EfficientNet-Lite0 ``single`` came out better (docs/quantization.md): the
upstream error is noise the rounding of one layer cannot cancel, and fitting it
changed nearly three times as many codes (32 % vs 12 %); bias correction, which
runs afterwards, removes the part of it that is a mean shift.  ``single`` also
skips the integer runs.  Further:

* at most ``max_positions`` output positions per layer, and at most
  ``max_elements`` input values (G·K·P: a depthwise layer has many groups),
  drawn evenly from the samples (seeded), bound the memory (~32 MB per array)
  and the cost of each step;
* a layer with fewer positions than inputs per output channel (a classifier
  seen once per sample) keeps nearest rounding: its ``XXᵀ`` is singular, and the
  rounding would be fitted to the few samples rather than to the layer.  On
  EfficientNet-Lite0 rounding those layers anyway made the result worse.

Scales stay those of the weight observer (per channel).  The chosen codes ``q``
are written back as the float weights ``s·q``: re-quantizing ``s·q`` with scale
``s`` gives ``q`` exactly (|q| ≤ 127, float32 error ≈ 10⁻⁵ of a step, far from a
tie), so every later lowering — bias correction, mixed precision, the final
program — runs exactly the chosen integers.  The record is updated in place so
later layers of the stream see them at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from npukit.errors import NpukitError
from npukit.ir import Graph, Node, QuantParams, Value
from npukit.numerics.quantize import dequantize
from npukit.ops import LowerContext, get_op
from npukit.ops.conv import conv_geometry, pad_spatial
from npukit.program import OpRecord, Program
from npukit.quant.algorithms.adaround_solver import SolverParams, recon_error, solve_rounding
from npukit.quant.algorithms.stream import SequentialStream

ROUNDED_OPS = ("Conv", "Gemm", "MatMul")
MODES = ("single", "sequential")


@dataclass(frozen=True)
class LayerRounding:
    """One layer's result: the fraction of codes that differ from nearest rounding,
    and the mean squared output error of both on the positions it was fitted on."""

    flipped: float
    error_nearest: float
    error: float
    positions: int
    weights: int
    seconds: float


@dataclass
class AdaRoundReport:
    """What AdaRound did: per rounded layer its result, per skipped layer why."""

    layers: dict[str, LayerRounding] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    samples: int = 0
    seconds: float = 0.0


def adaround_targets(g: Graph, prog: Program) -> dict[str, int]:
    """Node name → index of its integer record, for the layers AdaRound rounds."""
    index = {rec.sources[0]: k for k, rec in enumerate(prog.records)
             if rec.integer_layer and len(rec.sources) == 1 and "weights" in rec.tensors}
    out = {}
    for node in g.nodes:
        if node.op_type not in ROUNDED_OPS or node.name not in index or len(node.inputs) < 2:
            continue
        wv = g.values[node.inputs[1]]
        if wv.const is None or wv.quant is None or len(g.consumers(wv.name)) != 1:
            continue
        if node.op_type != "Conv" and wv.const.ndim != 2:
            continue
        out[node.name] = index[node.name]
    return out


def as_rows(node: Node, w: np.ndarray) -> np.ndarray:
    """Weights in the graph's layout → (groups, output channels per group, K)."""
    if node.op_type == "Conv":
        group = int(node.attr("group", 1))
        return w.reshape(group, w.shape[0] // group, -1)
    return (w if node.op_type == "Gemm" and node.attr("transB", 0) else w.T)[None]


def from_rows(node: Node, rows: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """Inverse of :func:`as_rows`."""
    if node.op_type == "Conv":
        return rows.reshape(shape)
    return rows[0] if node.op_type == "Gemm" and node.attr("transB", 0) else rows[0].T


def record_rows(node: Node, rec: OpRecord) -> np.ndarray:
    """The integer codes a record holds, as rows (Conv: graph layout; MatMul: (K, N))."""
    w = rec.tensors["weights"].astype(np.int64)
    if node.op_type == "Conv":
        return as_rows(node, w)
    return w.T[None]


def row_scales(q: QuantParams, shape: Sequence[int]) -> np.ndarray:
    """(G, M, 1) scale of every row (per channel, or the per-tensor one broadcast)."""
    s = q.scale.astype(np.float64)
    return np.broadcast_to(s.reshape(shape[0], shape[1], 1) if s.size > 1 else s,
                           (shape[0], shape[1], 1)).copy()


def _picks(xs: Sequence[np.ndarray], per: int, count: Callable[[np.ndarray], int],
           rng: np.random.Generator) -> list[np.ndarray]:
    """Up to ``per`` distinct output positions of each sample, sorted (seeded)."""
    picks = []
    for x in xs:
        n = count(x)
        picks.append(np.sort(rng.choice(n, min(n, per), replace=False)))
    return picks


def _conv_out(node: Node, x_shape: Sequence[int], w_shape: Sequence[int]
              ) -> tuple[list[int], list[int], list[int], list[int], list[int]]:
    """(kernel, strides, dilations, pads, output spatial size) of a Conv."""
    k, s, d, p = conv_geometry(node, tuple(x_shape), tuple(w_shape))
    n = len(k)
    out = [(x_shape[2 + i] + p[i] + p[n + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1
           for i in range(n)]
    return k, s, d, p, out


def _conv_columns(node: Node, w_shape: Sequence[int], xs: Sequence[np.ndarray],
                  picks: Sequence[np.ndarray]) -> np.ndarray:
    """Input windows at the picked output positions: (G, C/g·Πk, positions).

    Gathered channels-last, one kernel tap at a time, so each pick copies whole
    contiguous channel vectors."""
    group = int(node.attr("group", 1))
    cols = []
    for x, pick in zip(xs, picks):
        k, s, d, p, out = _conv_out(node, x.shape, w_shape)
        last = np.ascontiguousarray(np.moveaxis(pad_spatial(x, p), 1, -1))  # (N, *sp, C)
        at = np.unravel_index(pick, (x.shape[0], *out))
        taps = np.stack([last[(at[0],) + tuple(at[1 + i] * s[i] + t[i] * d[i]
                                               for i in range(len(k)))]
                         for t in np.ndindex(*k)])                         # (Πk, P, C)
        taps = taps.reshape(len(taps), len(pick), group, -1)               # (Πk, P, G, C/g)
        cols.append(taps.transpose(2, 3, 0, 1).reshape(group, -1, len(pick)))
    return np.concatenate(cols, axis=2)


def _row_inputs(node: Node, x: np.ndarray) -> np.ndarray:
    if node.op_type == "Gemm":
        return x.T if node.attr("transA", 0) else x
    return x.reshape(-1, x.shape[-1])


def _columns(node: Node, w_shape: Sequence[int], xs: Sequence[np.ndarray],
             picks: Sequence[np.ndarray]) -> np.ndarray:
    if node.op_type == "Conv":
        return _conv_columns(node, w_shape, xs, picks)
    rows = [_row_inputs(node, x)[pick] for x, pick in zip(xs, picks)]
    return np.concatenate(rows, axis=0).T[None]                 # (1, K, positions)


def _positions(node: Node, x: np.ndarray, w_shape: Sequence[int]) -> int:
    if node.op_type == "Conv":
        return x.shape[0] * int(np.prod(_conv_out(node, x.shape, w_shape)[4]))
    return _row_inputs(node, x).shape[0]


@dataclass
class _Run:
    """What every layer of one AdaRound pass shares."""

    st: SequentialStream
    params: SolverParams
    budget: tuple[int, int]            # (positions, input elements G·K·P) per layer
    sequential: bool
    rng: np.random.Generator
    ctx: LowerContext


def _layer_data(node: Node, rec: OpRecord, run: _Run, w: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """(inputs as (G, K, P) columns, float target ``W x`` (G, M, P)) at picked positions:
    the golden inputs (single) or the quantized model's (sequential)."""
    xf = [np.asarray(env[node.inputs[0]], np.float32) for env in run.st.fenv]
    rows = as_rows(node, w).astype(np.float32)
    total = min(run.budget[0], run.budget[1] // (rows.shape[0] * rows.shape[2]))
    picks = _picks(xf, max(-(-total // len(xf)), 1),
                   lambda x: _positions(node, x, w.shape), run.rng)
    gold = _columns(node, w.shape, xf, picks)
    t = np.matmul(rows, gold)
    if not run.sequential:
        return gold, t
    qin = run.st.prog.values[rec.inputs[0]].quant
    assert qin is not None
    xq = [dequantize(env[rec.inputs[0]], qin.scale, qin.zero_point, axis=qin.axis)
          for env in run.st.qenv]
    return _columns(node, w.shape, xq, picks), t


def _round_layer(node: Node, g: Graph, rec: OpRecord, run: _Run) -> LayerRounding | str:
    """Round one layer in place (graph weights and record), or say why not."""
    start = time.perf_counter()
    wv = g.values[node.inputs[1]]
    assert wv.const is not None and wv.quant is not None
    w = as_rows(node, wv.const.astype(np.float64))
    s = row_scales(wv.quant, w.shape)
    x, t = _layer_data(node, rec, run, wv.const)
    if x.shape[2] < w.shape[2]:
        return (f"{x.shape[2]} output positions for {w.shape[2]} inputs per output channel: "
                "too few to fit a rounding (nearest kept); give more adaround_samples")
    codes = solve_rounding(w, s, wv.quant.qmax, x, t, run.params)
    nearest = record_rows(node, rec)
    g.values[wv.name] = Value(wv.name, wv.dtype, wv.shape,
                              from_rows(node, codes * s, wv.const.shape).astype(wv.const.dtype),
                              wv.quant)
    low = get_op(node.op_type, node.domain, node=node.name).lower_int(node, g, run.ctx)
    assert isinstance(low, OpRecord), low
    rec.tensors["weights"] = low.tensors["weights"]
    return LayerRounding(float(np.mean(codes != nearest)), recon_error(nearest, s, x, t),
                         recon_error(codes, s, x, t), int(x.shape[2]), int(codes.size),
                         time.perf_counter() - start)


def adaround(float_graph: Graph, qgraph: Graph, prog: Program,
             feeds: Iterable[Mapping[str, np.ndarray]], params: SolverParams | None = None,
             *, mode: str = "single", max_positions: int = 4096,
             max_elements: int = 8 << 20) -> AdaRoundReport:
    """Round the weights of every eligible layer of ``qgraph`` (edited in place, and
    ``prog``'s records with it) by AdaRound on ``feeds``; re-lower afterwards.

    ``mode``: ``single`` fits each layer on the golden float inputs; ``sequential``
    on the quantized model's inputs behind the layers rounded before it."""
    if mode not in MODES:
        raise NpukitError(f"AdaRound mode {mode!r} is not one of {list(MODES)}")
    feeds = list(feeds)
    params = params or SolverParams()
    report = AdaRoundReport(samples=len(feeds))
    targets = adaround_targets(qgraph, prog)
    if not targets or not feeds:
        return report
    start = time.perf_counter()
    by_index = {k: qgraph.node(name) for name, k in targets.items()}
    run = _Run(SequentialStream(float_graph, prog, feeds), params,
               (max_positions, max_elements), mode == "sequential",
               np.random.default_rng(params.seed), LowerContext(prog.rounding))
    for k, rec in enumerate(prog.records):
        node = by_index.get(k)
        if node is not None:
            run.st.float_before(node.name)
            got = _round_layer(node, qgraph, rec, run)
            (report.skipped if isinstance(got, str) else report.layers)[node.name] = got
            if not isinstance(got, str):
                run.st.px.refresh(k)        # the record's weights changed: plan it again
        if run.sequential:
            run.st.store(k, run.st.record(k))
    report.seconds = time.perf_counter() - start
    return report


__all__ = ["AdaRoundReport", "LayerRounding", "MODES", "ROUNDED_OPS", "adaround",
           "adaround_targets", "as_rows", "from_rows", "record_rows", "row_scales"]
