"""Layer 4: graph passes (one per file) and the pass manager with named pipelines.

``optimize(graph, level="O2")`` returns an optimised copy and a report of
every rule that fired on every node.
"""

from npukit.passes.base import Pass, RulePass
from npukit.passes.manager import PASSES, PIPELINES, PassManager, optimize, pipeline
from npukit.passes.report import Change, OptimizeReport, PassRecord

__all__ = ["PASSES", "PIPELINES", "Change", "OptimizeReport", "Pass", "PassManager",
           "PassRecord", "RulePass", "optimize", "pipeline"]
