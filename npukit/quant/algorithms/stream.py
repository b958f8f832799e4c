"""The float graph and the integer program run side by side over a few samples.

Sequential PTQ algorithms (bias correction's ``sequential`` mode, AdaRound) edit
one layer's record, then let every later layer see the edited layer's output.
The stream runs records in program order over all samples at once, and the float
graph alongside up to the same source node, so at each record both the golden
float values and the quantized model's own codes are at hand.  Values are
dropped after their last use.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from npukit.ir import Graph
from npukit.ops import get_op
from npukit.program import Program
from npukit.sim.program_executor import ProgramExecutor


class SequentialStream:
    """The float graph and the program run record by record over all samples at once,
    so a correction made at one layer is seen by every later layer."""

    def __init__(self, float_graph: Graph, prog: Program, feeds: list[Mapping]) -> None:
        self.g, self.prog = float_graph, prog
        consts = float_graph.constants()
        self.fenv = [{**consts, **f} for f in feeds]
        self.qenv = [dict(f) for f in feeds]
        self.ops = [(get_op(n.op_type, n.domain, node=n.name, opset=float_graph.opset), n)
                    for n in float_graph.nodes]
        self.pos = {n.name: k for k, n in enumerate(float_graph.nodes)}
        self.fdone = 0
        self.px = ProgramExecutor(prog)
        self.flast = _last_use([n.inputs for n in float_graph.nodes], float_graph.outputs)
        self.qlast = _last_use([r.inputs for r in prog.records], prog.outputs)

    def float_until(self, node: str) -> None:
        """Run the float graph through ``node`` (its inputs may be dropped after)."""
        self._float_to(self.pos.get(node, -1) + 1)

    def float_before(self, node: str) -> None:
        """Run the float graph up to, not including, ``node``: its inputs are in ``fenv``."""
        self._float_to(self.pos.get(node, 0))

    def _float_to(self, stop: int) -> None:
        while self.fdone < stop:
            op, n = self.ops[self.fdone]
            for env in self.fenv:
                for name, arr in zip(n.outputs, op.run(n, [env[i] if i else None
                                                            for i in n.inputs])):
                    if name:
                        env[name] = arr
                for name in self.flast.get(self.fdone, ()):
                    if name not in self.g.values or self.g.values[name].const is None:
                        env.pop(name, None)
            self.fdone += 1

    def record(self, k: int) -> list[list[np.ndarray]]:
        rec = self.prog.records[k]
        return [self.px.run_record(k, [env[i] for i in rec.inputs]) for env in self.qenv]

    def store(self, k: int, outs: list[list[np.ndarray]]) -> None:
        rec = self.prog.records[k]
        for env, o in zip(self.qenv, outs):
            env.update({name: arr for name, arr in zip(rec.outputs, o) if name})
            for name in self.qlast.get(k, ()):
                env.pop(name, None)


def _last_use(inputs: list[list[str]], keep: list[str]) -> dict[int, list[str]]:
    last: dict[str, int] = {}
    for k, ins in enumerate(inputs):
        for i in ins:
            if i:
                last[i] = k
    out: dict[int, list[str]] = {}
    for name, k in last.items():
        if name not in keep:
            out.setdefault(k, []).append(name)
    return out


__all__ = ["SequentialStream"]
