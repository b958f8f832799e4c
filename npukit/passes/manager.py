"""The pass manager: named pipelines, with shape re-inference and the verifier between passes.

``optimize(graph, level)`` is the entry point: it copies the graph, runs the
pipeline named by ``level`` and returns the new graph with an
:class:`OptimizeReport` saying which rule changed which node (TVM Relax
instruments: dump the IR and time each pass).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Iterable, Sequence

from npukit.errors import NpukitError, PassError
from npukit.ir import Graph, print_graph
from npukit.ops import infer_graph, infer_node
from npukit.passes.base import Pass
from npukit.passes.cancel_transpose_reshape import CancelTransposeReshape
from npukit.passes.eliminate_dead_nodes import EliminateDeadNodes
from npukit.passes.eliminate_identity import EliminateIdentity
from npukit.passes.fold_affine import FoldAffine
from npukit.passes.fold_constants import FoldConstants
from npukit.passes.fold_conv_bn import FoldConvBn
from npukit.passes.fold_pad import FoldPad
from npukit.passes.fuse_activation import FuseActivation
from npukit.passes.fuse_clamp import FuseClamp
from npukit.passes.fuse_hardswish import FuseHardswish
from npukit.passes.fuse_matmul_add import FuseMatmulAdd
from npukit.passes.fuse_swish import FuseSwish
from npukit.passes.report import Change, OptimizeReport, PassRecord

PASSES: dict[str, Callable[[], Pass]] = {
    "eliminate_identity": EliminateIdentity,
    "fold_constants": FoldConstants,
    "eliminate_dead_nodes": EliminateDeadNodes,
    "fold_conv_bn": FoldConvBn,
    "fold_affine": FoldAffine,
    "fuse_matmul_add": FuseMatmulAdd,
    "cancel_transpose_reshape": CancelTransposeReshape,
    "fold_pad": FoldPad,
    "fuse_swish": FuseSwish,
    "fuse_hardswish": FuseHardswish,
    "fuse_activation": FuseActivation,
    "fuse_clamp": FuseClamp,
}

_CLEANUP = ("eliminate_identity", "fold_constants", "eliminate_dead_nodes")
# MatMul+Add becomes a Gemm before BN / affine folding, so a BN after it folds too
_O2 = ("eliminate_identity", "fold_constants", "eliminate_dead_nodes", "fuse_matmul_add",
       "fold_conv_bn", "fold_affine", "cancel_transpose_reshape", "fold_pad") + _CLEANUP

PIPELINES: dict[str, tuple[str, ...]] = {
    "O0": (),
    "O1": _CLEANUP,
    "O2": _O2,
    "O3": _O2 + ("fuse_swish", "fuse_hardswish", "fuse_activation", "eliminate_dead_nodes"),
    # before quantization: only clamps fuse (free in integers); other activations stay
    # separate nodes with their own range and lookup table (passes/fuse_clamp.py)
    "Q": _O2 + ("fuse_swish", "fuse_hardswish", "fuse_clamp", "eliminate_dead_nodes"),
}


def pipeline(level: str, *, disable: Iterable[str] = ()) -> list[Pass]:
    """The passes of the named pipeline (``O0`` … ``O3``), minus those in ``disable``."""
    if level not in PIPELINES:
        raise PassError(f"unknown optimisation level {level!r}",
                        hint=f"use one of {sorted(PIPELINES)}")
    off = set(disable)
    unknown = sorted(off - set(PASSES))
    if unknown:
        raise PassError(f"cannot disable unknown pass(es) {unknown}",
                        hint=f"passes are {sorted(PASSES)}")
    return [PASSES[name]() for name in PIPELINES[level] if name not in off]


class PassManager:
    """Runs passes in order on a graph (in place), checking the graph after each one.

    After every pass the manager runs ``Graph.verify`` with op inference
    against the declared types (a correct rewrite never changes the type of a
    value it keeps), re-infers the types of new values and verifies again; a
    failure raises :class:`PassError` naming the pass.  With ``dump`` each
    record keeps the text form of the graph after its pass; with ``dump_dir``
    the text forms are also written there as ``00_input.txt``,
    ``01_<pass>.txt`` … (stable order, so two runs diff cleanly).
    """

    def __init__(self, passes: Sequence[Pass], *, name: str = "custom", verify: bool = True,
                 dump: bool = False, dump_dir: str | os.PathLike | None = None) -> None:
        self.passes = list(passes)
        self.name = name
        self.verify = verify
        self.dump = dump
        self.dump_dir = None if dump_dir is None else Path(dump_dir)

    def run(self, graph: Graph) -> OptimizeReport:
        infer_graph(graph)
        if self.verify:
            graph.verify(infer_node)
        report = OptimizeReport(graph.name, self.name, nodes_before=len(graph),
                                ops_before=graph.op_histogram())
        self._write(0, "input", graph)
        for k, p in enumerate(self.passes, 1):
            report.passes.append(self._run_one(p, graph))
            self._write(k, p.name, graph, report.passes[-1].dump)
        report.nodes_after = len(graph)
        report.ops_after = graph.op_histogram()
        return report

    def _run_one(self, p: Pass, graph: Graph) -> PassRecord:
        before = len(graph)
        start = time.perf_counter()
        try:
            fired = p.run(graph)
        except PassError:
            raise
        except Exception as e:  # a bug in the pass: name it, keep the cause
            raise PassError(f"pass {p.name!r} failed on graph {graph.name!r}: "
                            f"{type(e).__name__}: {e}") from e
        seconds = time.perf_counter() - start
        self._check(p.name, graph)
        return PassRecord(p.name, [Change.of(f) for f in fired], seconds, before, len(graph),
                          print_graph(graph) if self.dump else None)

    def _write(self, k: int, name: str, graph: Graph, text: str | None = None) -> None:
        if self.dump_dir is not None:
            self.dump_dir.mkdir(parents=True, exist_ok=True)
            (self.dump_dir / f"{k:02d}_{name}.txt").write_text(text or print_graph(graph))

    def _check(self, name: str, graph: Graph) -> None:
        try:
            if self.verify:  # declared types first: a correct pass never changes a value's type
                graph.verify(infer_node)
            infer_graph(graph)
            if self.verify:
                graph.verify(infer_node)
        except NpukitError as e:
            raise PassError(f"pass {name!r} left graph {graph.name!r} invalid: {e}",
                            hint="this is a bug in the pass; run with the pass disabled "
                                 "and report it") from e


def optimize(graph: Graph, level: str = "O2", *, disable: Iterable[str] = (),
             passes: Sequence[Pass] | None = None, verify: bool = True, dump: bool = False,
             dump_dir: str | os.PathLike | None = None) -> tuple[Graph, OptimizeReport]:
    """Optimise a copy of ``graph`` with pipeline ``level``; return it and the report.

    ``passes`` replaces the named pipeline with an explicit list (``level``
    then only names the run in the report).  The caller's graph is not touched.
    """
    g = graph.copy()
    chosen = list(passes) if passes is not None else pipeline(level, disable=disable)
    report = PassManager(chosen, name=level, verify=verify, dump=dump, dump_dir=dump_dir).run(g)
    return g, report
