"""Run an IR graph with each op's NumPy float kernel.

Intermediate values are freed after their last use; ``hooks`` see every node's
outputs as they are made (later layers capture per-layer activations this
way, never by keeping every tensor).
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from npukit.errors import InputError, NpukitError
from npukit.ir import Graph, Node
from npukit.ir.dtypes import to_numpy
from npukit.ops import Op, get_op
from npukit.sim.liveness import bind, free_after

Hook = Callable[[Node, Sequence[np.ndarray]], None]


class FloatExecutor:
    """Executes ``graph`` (which it does not modify) on NumPy arrays."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._plan: list[tuple[Op, Node]] = [
            (get_op(n.op_type, n.domain, node=n.name, opset=graph.opset), n) for n in graph.nodes]
        self._consts = graph.constants()
        self._free_after = free_after([n.inputs for _, n in self._plan],
                                      set(graph.outputs) | set(self._consts))

    def run(self, feeds: Mapping[str, np.ndarray], *, hooks: Iterable[Hook] = (),
            keep: Iterable[str] = ()) -> dict[str, np.ndarray]:
        """Run once; return the graph outputs (and any value named in ``keep``)."""
        env: dict[str, np.ndarray] = dict(self._consts)
        env.update(check_feeds(self.graph, feeds))
        hooks = list(hooks)
        kept = set(keep)
        extra: dict[str, np.ndarray] = {}
        for k, (op, node) in enumerate(self._plan):
            args = [env[i] if i else None for i in node.inputs]
            try:
                outs = op.run(node, args)
            except NpukitError:
                raise
            except Exception as e:  # a kernel fault: name the node, keep the cause
                raise NpukitError(f"node {node.name!r} ({node.op_type}) failed in the float "
                                  f"executor: {type(e).__name__}: {e}") from e
            bind(env, node.outputs, outs, kept, extra)
            for h in hooks:
                h(node, outs)
            for name in self._free_after[k]:
                env.pop(name, None)
        result = {o: env[o] for o in self.graph.outputs}
        result.update(extra)
        return result


def check_feeds(g: Graph, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Validate run-time inputs against the graph's declared inputs."""
    unknown = sorted(set(feeds) - set(g.inputs))
    if unknown:
        raise InputError(f"model {g.name!r} has no input(s) {unknown}; its inputs are "
                         f"{g.inputs}")
    out: dict[str, np.ndarray] = {}
    for name in g.inputs:
        if name not in feeds:
            raise InputError(f"model {g.name!r}: missing input {name!r}",
                             hint=f"feed every input: {g.inputs}")
        v = g.values[name]
        arr = np.asarray(feeds[name])
        if v.dtype is not None:
            want = to_numpy(v.dtype)
            if arr.dtype != want:
                if arr.dtype.kind != want.kind and not (arr.dtype.kind in "iu" and
                                                        want.kind in "iu"):
                    raise InputError(f"model {g.name!r}: input {name!r} must be {v.dtype}, "
                                     f"got {arr.dtype}")
                arr = arr.astype(want)
        if v.shape is not None:
            ok = arr.ndim == len(v.shape) and all(
                not isinstance(d, int) or d == s for d, s in zip(v.shape, arr.shape))
            if not ok:
                raise InputError(f"model {g.name!r}: input {name!r} has shape "
                                 f"{list(arr.shape)}, the model expects {list(v.shape)}")
        out[name] = arr
    return out
