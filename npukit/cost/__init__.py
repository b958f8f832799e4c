"""Layer 5: estimated time, DRAM traffic and memory of a model on a named target.

``estimate(program_or_graph, "rk3588")`` → :class:`PerfReport` with one row
per layer (the user's node names, op, engine, MACs, bytes, cycles, what
bounds it, utilisation), totals (latency, FPS, throughput, DRAM traffic per
inference), memory (weights, activation peak, runtime, conv-buffer use) and
the conditions the estimate assumes.  The model is described in
docs/performance.md; its few unknowns are fitted by tools/fit_cost_model.py.
"""

from __future__ import annotations

from typing import Any

from npukit.cost.from_graph import graph_layers
from npukit.cost.from_program import program_layers
from npukit.cost.layer import LayerCost
from npukit.cost.layers import Layer
from npukit.cost.model import estimate_layers
from npukit.cost.params import CostConstants, CostError, CostOptions
from npukit.cost.report import Boundary, PerfReport
from npukit.ir import Graph
from npukit.program import Program
from npukit.targets import TargetProfile, load_target


def estimate(model: Program | Graph, target: str | TargetProfile, *,
             options: CostOptions | None = None, constants: CostConstants | None = None,
             plan: Any = None, name: str = "") -> PerfReport:
    """Estimate ``model`` (a lowered Program, or an optimised float Graph costed as
    quantized) on ``target``.  ``plan``: a compiler memory plan (object or JSON) whose
    arena replaces the liveness peak."""
    t = load_target(target)
    opts = options or CostOptions()
    if isinstance(model, Program):
        layers = program_layers(model)
        outputs = list(model.outputs)
        label = name or str(model.meta.get("graph", "program"))
    elif isinstance(model, Graph):
        layers = graph_layers(model, t, opts.npu_dtype)
        outputs = list(model.outputs)
        label = name or model.name
    else:
        raise CostError(f"cannot estimate a {type(model).__name__}; pass a Program or a Graph")
    return estimate_layers(layers, t, options=opts, constants=constants, model=label,
                           outputs=outputs, plan=plan)


__all__ = ["Boundary", "CostConstants", "CostError", "CostOptions", "Layer", "LayerCost",
           "PerfReport", "estimate", "estimate_layers", "graph_layers", "program_layers"]
