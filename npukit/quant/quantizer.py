"""Post-training quantization: optimise → calibrate → assign params → lower.

``quantize(graph, calib)`` returns a :class:`QuantizedModel`: the optimised
float graph (the golden reference for analysis), the same graph with frozen
QuantParams on its values, every precision decision with its reason, and the
lowered integer program that the simulator runs bit-exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import numpy as np

from npukit.ir import Graph
from npukit.ops import LowerContext
from npukit.passes import optimize
from npukit.program import Program
from npukit.quant.algorithms.adaround import AdaRoundReport, adaround
from npukit.quant.algorithms.adaround_solver import SolverParams
from npukit.quant.algorithms.bias_correction import (
    BiasReport,
    correct_bias,
    correct_bias_sequential,
)
from npukit.quant.algorithms.bias_range import fit_bias_range
from npukit.quant.algorithms.cle import CleReport, equalize
from npukit.quant.algorithms.range_search import search_ranges
from npukit.quant.assign import Decision, assign_params, node_precision
from npukit.quant.calib_data import CalibConfig, CalibrationSource
from npukit.quant.calibrator import CalibrationResult, calibrate
from npukit.quant.config import QuantConfig
from npukit.sim.lower import lower
from npukit.sim.program_executor import ProgramExecutor

#: the optimiser level used before quantization (see passes/manager.py)
QUANT_LEVEL = "Q"


@dataclass
class QuantizedModel:
    float_graph: Graph
    graph: Graph
    config: QuantConfig
    decisions: list[Decision]
    calibration: CalibrationResult | None = None
    _program: Program | None = field(default=None, repr=False)
    #: what the PTQ algorithms did (None when an algorithm was off)
    cle: CleReport | None = None
    bias: BiasReport | None = None
    adaround: AdaRoundReport | None = None
    #: what automatic mixed precision changed (a quant.mixed.MixedReport)
    mixed: Any = None
    #: the calibration feeds kept for the algorithms that re-run the model
    feeds: list[Mapping[str, np.ndarray]] = field(default_factory=list, repr=False)

    @property
    def program(self) -> Program:
        if self._program is None:
            self._program = lower(self.graph, LowerContext(self.config.rounding),
                                  force_float={d.node: f"{d.reason}: float"
                                               for d in self.decisions
                                               if d.precision == "float"},
                                  fp16={d.node: f"{d.reason}: fp16 on the NPU"
                                        for d in self.decisions if d.precision == "fp16"})
        return self._program

    def placement(self) -> list[dict[str, Any]]:
        """Per user node: engine (npu integer / cpu float) and why."""
        rows = []
        for rec in self.program.records:
            for src in rec.sources:
                rows.append({"node": src, "kernel": rec.kernel, "engine": rec.engine,
                             "reason": rec.reason or "integer kernel"})
        return rows

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Bit-exact integer simulation; float outputs (dequantized)."""
        return ProgramExecutor(self.program).run(feeds)


def quantize(graph: Graph, calib: Any, config: QuantConfig | None = None, *,
             calib_config: CalibConfig | None = None, show_progress: bool = True,
             optimized: bool = False) -> QuantizedModel:
    """Quantize ``graph`` with calibration data ``calib`` (a path, arrays, feeds …)."""
    config = config or QuantConfig()
    g = graph.copy() if optimized else optimize(graph, level=QUANT_LEVEL)[0]
    cle = equalize(g) if config.cle else None
    kept: list[Mapping[str, np.ndarray]] = []
    need = max(config.bias_correction_samples if config.bias_correction else 0,
               config.adaround_samples if config.adaround else 0,
               config.range_search_samples, config.mixed_samples if config.mixed else 0)
    result = calibrate(g, _Tee(_source(calib, g, calib_config), kept, need),
                       observer=config.algo, show_progress=show_progress)
    qm = build(g, result, config, kept, cle=cle)
    if config.mixed is not None:
        from npukit.quant.mixed import auto_mixed  # mixed builds on this module
        qm, qm.mixed = auto_mixed(qm, kept[:config.mixed_samples], config.mixed)
    return qm


def build(float_graph: Graph, result: CalibrationResult, config: QuantConfig,
          feeds: list[Mapping[str, np.ndarray]] | None = None, *,
          cle: CleReport | None = None) -> QuantizedModel:
    """Params from calibration ``result`` under ``config``, then the algorithms that
    need the quantized model (AdaRound, then bias correction, on ``feeds``).  Mixed
    precision calls this again with new overrides, without calibrating again."""
    feeds = list(feeds or [])
    qg = float_graph.copy()
    ranges = {k: tuple(map(float, v)) for k, v in result.ranges.items()}
    if config.range_search_samples and feeds:
        ranges.update(_searched(float_graph, ranges, config, feeds))
    decisions = assign_params(qg, ranges, config)
    fit_bias_range(qg)
    qm = QuantizedModel(float_graph, qg, config, decisions, result, cle=cle, feeds=feeds)
    if config.adaround and feeds:
        qm.adaround = adaround(float_graph, qg, qm.program, feeds[:config.adaround_samples],
                               SolverParams(iters=config.adaround_iters),
                               mode=config.adaround_mode)
        qm._program = None
    if config.bias_correction and feeds:
        fn = correct_bias if config.bias_correction_mode == "single" else \
            correct_bias_sequential
        qm.bias = fn(float_graph, qg, qm.program, feeds[:config.bias_correction_samples])
        fit_bias_range(qg)
        qm._program = None
    return qm


def _searched(g: Graph, ranges: dict, config: QuantConfig,
              feeds: list[Mapping[str, np.ndarray]]) -> dict:
    """Output-error range search, for values whose producer runs at the default dtype."""
    found = search_ranges(g, ranges, feeds[:config.range_search_samples],
                          dtype=config.activations, symmetric=config.symmetric_activations,
                          rounding=config.rounding)
    return {v: r for v, r in found.items()
            if (p := g.producer(v)) is None or node_precision(p, config)[0] == config.activations}


def _source(calib: Any, g: Graph, cfg: CalibConfig | None) -> Iterable[Any]:
    if isinstance(calib, (str, Path, np.ndarray, Mapping, list, tuple)):
        return CalibrationSource(calib, g, cfg)
    return calib


class _Tee:
    """Iterates ``source`` unchanged, keeping its first ``n`` feeds in ``kept``."""

    def __init__(self, source: Iterable[Any], kept: list[Any], n: int) -> None:
        self.source, self.kept, self.n = source, kept, n

    def __len__(self) -> int:
        return len(self.source)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        for feed in self.source:
            if len(self.kept) < self.n:
                self.kept.append(feed)
            yield feed


def quantized_from_table(graph: Graph, table: Mapping[str, Any],
                         config: QuantConfig | None = None) -> QuantizedModel:
    """A QuantizedModel whose params come from a table (a QDQ model's, a JSON table, a
    QAT export) instead of calibration.  Values the table does not name stay float, and
    the nodes that need them run on the CPU with that reason."""
    from npukit.quant.table import apply_table
    config = config or QuantConfig()
    g = optimize(graph, level=QUANT_LEVEL)[0]
    known = {k: v for k, v in table.items() if k in g.values}
    qg = g.copy()
    apply_table(qg, known)
    decisions = [Decision(n.name, n.op_type, "table", "params from the imported table")
                 for n in qg.nodes]
    return QuantizedModel(g, qg, config, decisions)
