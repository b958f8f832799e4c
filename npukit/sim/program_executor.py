"""Run a Program: integer records on their kernels, float records on the CPU kernels.

This is the one execution engine behind both the simulator (a quantized graph
lowered in memory) and the runtime (a Program read from a ``.npk``), so the
two agree to the bit by construction.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from npukit.errors import InputError, NpukitError
from npukit.ir import Node
from npukit.ir.dtypes import to_numpy
from npukit.ops import get_kernel, get_op
from npukit.program import FLOAT_KERNEL, OpRecord, Program, join_attrs
from npukit.sim.liveness import bind, free_after

RecordHook = Callable[[OpRecord, Sequence[np.ndarray]], None]


class _FloatCall:
    """A float record bound to its op's float kernel."""

    def __init__(self, rec: OpRecord) -> None:
        a = rec.attrs
        self.op = get_op(a["op_type"], a.get("domain", ""), node=rec.name)
        attrs = join_attrs(a["node_attrs"], rec.tensors)
        self.node = Node(rec.name, a["op_type"], [], list(rec.outputs), attrs,
                         a.get("domain", ""))
        self.args = a["args"]
        self.tensors = rec.tensors
        self.fp16 = a.get("compute") == "float16"

    def __call__(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        it = iter(inputs)
        full: list[Any] = []
        for arg in self.args:
            if arg[0] == "value":
                x = next(it)
                full.append(x.astype(np.float16) if self.fp16 and x.dtype.kind == "f" else x)
            else:
                full.append(self.tensors[arg[1]] if arg[0] == "const" else None)
        outs = self.op.run(self.node, full)
        if self.fp16:   # float16 results, held as float32 between records
            outs = [o.astype(np.float16).astype(np.float32) if o.dtype.kind == "f" else o
                    for o in outs]
        return outs


class ProgramExecutor:
    """Executes ``program``; thread-safe (no state is kept between runs)."""

    def __init__(self, program: Program, *, reference: bool = False) -> None:
        self.program = program
        self.reference = reference
        self._calls = [self._bind(rec) for rec in program.records]
        self._free = free_after([r.inputs for r in program.records], set(program.outputs))

    def _bind(self, rec: OpRecord) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
        if rec.kernel == FLOAT_KERNEL:
            return _FloatCall(rec)
        k = get_kernel(rec.kernel)
        return (lambda ins: k.ref(rec, ins)) if self.reference else k.prepare(rec)

    def refresh(self, index: int) -> None:
        """Re-plan record ``index`` after its tensors were edited in place (records are
        planned once, when the executor is built: folded biases, packed weights)."""
        self._calls[index] = self._bind(self.program.records[index])

    def run_record(self, index: int, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Run one record on given inputs (per-layer analysis feeds golden inputs)."""
        return self._calls[index](inputs)

    def run(self, feeds: Mapping[str, np.ndarray], *, hooks: Iterable[RecordHook] = (),
            keep: Iterable[str] = ()) -> dict[str, np.ndarray]:
        env = self._check(feeds)
        hooks, kept, extra = list(hooks), set(keep), {}
        for n, (rec, call) in enumerate(zip(self.program.records, self._calls)):
            if all(o in env for o in rec.outputs if o):
                continue          # pre-quantized input fed directly: skip its Quantize
            try:
                outs = call([env[i] for i in rec.inputs])
            except NpukitError:
                raise
            except Exception as e:
                raise NpukitError(f"record {rec.name!r} ({rec.kernel}, from "
                                  f"{list(rec.sources)}) failed: {type(e).__name__}: {e}"
                                  ) from e
            bind(env, rec.outputs, outs, kept, extra)
            for h in hooks:
                h(rec, outs)
            for name in self._free[n]:
                env.pop(name, None)
        out = {o: env[o] for o in self.program.outputs}
        out.update(extra)
        return out

    def _check(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        p = self.program
        env: dict[str, np.ndarray] = {}
        for name, arr in feeds.items():
            spec = p.values.get(name)
            if spec is None or (name not in p.inputs and name.removesuffix("@q")
                                not in p.inputs):
                raise InputError(f"the model has no input {name!r}; its inputs are {p.inputs}")
            a = np.asarray(arr)
            want = to_numpy(spec.dtype)
            if a.dtype != want:
                if a.dtype.kind == "f" and want.kind == "f":
                    a = a.astype(want)
                else:
                    raise InputError(f"input {name!r} must be {spec.dtype}, got {a.dtype}")
            if tuple(a.shape) != tuple(spec.shape):
                raise InputError(f"input {name!r} has shape {list(a.shape)}, the model "
                                 f"expects {list(spec.shape)}")
            env[name] = a
        missing = [i for i in p.inputs if i not in env and i + "@q" not in env]
        if missing:
            raise InputError(f"missing input(s) {missing}; the model's inputs are {p.inputs}")
        return env
