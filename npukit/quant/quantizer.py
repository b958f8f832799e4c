"""Post-training quantization: optimise → calibrate → assign params → lower.

``quantize(graph, calib)`` returns a :class:`QuantizedModel`: the optimised
float graph (the golden reference for analysis), the same graph with frozen
QuantParams on its values, every precision decision with its reason, and the
lowered integer program that the simulator runs bit-exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from npukit.ir import Graph
from npukit.ops import LowerContext
from npukit.passes import optimize
from npukit.program import Program
from npukit.quant.assign import Decision, assign_params
from npukit.quant.calib_data import CalibConfig
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

    @property
    def program(self) -> Program:
        if self._program is None:
            self._program = lower(self.graph, LowerContext(self.config.rounding),
                                  force_float={d.node: f"{d.reason}: float"
                                               for d in self.decisions
                                               if d.precision == "float"})
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
    result = calibrate(g, calib, observer=config.algo, config=calib_config,
                       show_progress=show_progress)
    qg = g.copy()
    ranges = {k: tuple(map(float, v)) for k, v in result.ranges.items()}
    decisions = assign_params(qg, ranges, config)
    return QuantizedModel(g, qg, config, decisions, result)
