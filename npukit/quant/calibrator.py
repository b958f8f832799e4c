"""Streaming calibration: run the float model over the data, feed the observers.

The float engine is ONNX Runtime when it takes the graph (one run returns
every observed value; ~3x faster than NumPy), else npukit's float executor,
which frees each intermediate after its last use and shows every node's
outputs to a hook.  Either way each sample's values are folded into one
observer per value and dropped, so memory is one sample's values plus the
observers' fixed-size statistics, however many samples there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from npukit.errors import GraphError, InputError, NpukitError
from npukit.frontends.onnx import OrtReference
from npukit.ir import Graph, Node
from npukit.ir.dtypes import FLOATS
from npukit.quant.calib_data import CalibConfig, CalibrationSource, progress
from npukit.quant.observers import Observer, make_observer
from npukit.sim import FloatExecutor

ObserverFactory = Callable[[str], Observer]


@dataclass(frozen=True)
class CalibrationResult:
    """Per observed value: its range and its observer (for reports or re-choosing)."""

    ranges: dict[str, Any]
    observers: dict[str, Observer]
    batches: int


def activation_values(graph: Graph) -> list[str]:
    """Float (or untyped) graph inputs and node outputs, in execution order."""
    names = [i for i in graph.inputs]
    names += [o for n in graph.nodes for o in n.outputs if o]
    return [v for v in names if graph.values[v].const is None
            and graph.values[v].dtype in FLOATS | {None}]


def _factory(observer: str | ObserverFactory, opts: dict[str, Any]) -> ObserverFactory:
    if not isinstance(observer, str):
        if opts:
            raise NpukitError("observer options go with an observer name, not a factory")
        return observer
    make_observer(observer, **opts)                    # fail early on a bad name or option

    def factory(_: str) -> Observer:
        return make_observer(observer, **opts)
    return factory


class Calibrator:
    """Collects ranges for ``values`` (default: every float activation) of ``graph``.

    ``observer`` is a registered name (its options in ``observer_opts``) or a
    factory called with each value name, so values may get different observers.
    """

    def __init__(self, graph: Graph, values: Sequence[str] | None = None,
                 observer: str | ObserverFactory = "minmax", *, engine: str = "auto",
                 **observer_opts: Any) -> None:
        self.graph = graph
        self._auto = values is None
        names = activation_values(graph) if values is None else list(dict.fromkeys(values))
        unknown = [v for v in names if v not in graph.values]
        if unknown:
            raise GraphError(f"model {graph.name!r} has no value(s) {unknown} to calibrate")
        factory = _factory(observer, observer_opts)
        self.observers: dict[str, Observer] = {v: factory(v) for v in names}
        self.executor = FloatExecutor(graph)
        self.engine, self.engine_note = _engine(graph, names, engine)
        self.batches = 0
        for name in names:                                      # constants: observed once
            const = graph.values[name].const
            if const is not None:
                self._update(self.observers[name], name, const, None)

    def collect(self, source: Any, *, config: CalibConfig | None = None,
                show_progress: bool = True, desc: str = "calibrating") -> None:
        """Run the model on every feed of ``source`` (a CalibrationSource, anything
        CalibrationSource accepts, or an iterable of feed dicts)."""
        if isinstance(source, (str, Path, np.ndarray, Mapping, list, tuple)):
            source = CalibrationSource(source, self.graph, config)
        total = len(source) if hasattr(source, "__len__") else None
        inputs = [i for i in self.graph.inputs if i in self.observers]
        for feed in progress(source, total, desc, show_progress):
            for name in inputs:
                if name in feed:
                    self._update(self.observers[name], name, feed[name], None)
            if self.engine is not None:
                self._observe_all(self.engine(feed))
            else:
                self.executor.run(feed, hooks=[self._hook])
            self.batches += 1

    def _observe_all(self, values: Mapping[str, np.ndarray]) -> None:
        """Observers fed from one ONNX Runtime run that returned every value."""
        for name in list(self.observers):
            arr = values.get(name)
            if arr is not None:
                self._update(self.observers[name], name, arr, self.graph.producer(name))

    def _hook(self, node: Node, outs: Sequence[np.ndarray]) -> None:
        for name, arr in zip(node.outputs, outs):
            obs = self.observers.get(name)
            if obs is not None:
                self._update(obs, name, arr, node)

    def _update(self, obs: Observer, name: str, arr: Any, node: Node | None) -> None:
        arr = np.asarray(arr)
        if arr.dtype.kind not in "fiu":
            if self._auto:                  # an untyped value that turned out not numeric
                del self.observers[name]
                return
            raise NpukitError(f"value {name!r} holds {arr.dtype} data, which has no range")
        if self._auto and arr.dtype.kind != "f":
            del self.observers[name]
            return
        try:
            obs.update(arr)
        except NpukitError as e:
            where = f"node {node.name!r} ({node.op_type})" if node else "the model input"
            raise NpukitError(f"calibrating value {name!r}, made by {where}, after "
                              f"{self.batches} batch(es): {e}") from None

    def result(self) -> CalibrationResult:
        """Ranges of every observed value; raises if no batch has been run."""
        if self.batches == 0:
            raise InputError(f"model {self.graph.name!r}: the calibration source gave no "
                             "samples", hint="check the calibration path and its limit")
        ranges = {name: obs.range() for name, obs in self.observers.items()}
        return CalibrationResult(ranges, dict(self.observers), self.batches)

    def run(self, source: Any, **kwargs: Any) -> CalibrationResult:
        """``collect(source)`` then ``result()``."""
        self.collect(source, **kwargs)
        return self.result()


def _engine(graph: Graph, values: Sequence[str], engine: str
            ) -> tuple[OrtReference | None, str]:
    """The float engine of calibration and why: ONNX Runtime (``auto`` / ``onnxruntime``:
    one run returns every observed value, ~3x faster than the NumPy executor) or npukit's
    own executor (``npukit``, or when ORT cannot take the graph)."""
    if engine not in ("auto", "onnxruntime", "npukit"):
        raise NpukitError(f"calibration engine {engine!r} is not auto, onnxruntime or npukit")
    if engine == "npukit":
        return None, "npukit float executor"
    try:
        return OrtReference(graph, values), "onnxruntime"
    except NpukitError as e:
        if engine == "onnxruntime":
            raise
        return None, f"npukit float executor ({e})"


def calibrate(graph: Graph, source: Any, values: Iterable[str] | None = None,
              observer: str | ObserverFactory = "minmax", *, config: CalibConfig | None = None,
              show_progress: bool = True, engine: str = "auto",
              **observer_opts: Any) -> CalibrationResult:
    """One-call calibration: ``Calibrator(graph, values, observer).run(source)``."""
    cal = Calibrator(graph, None if values is None else list(values), observer,
                     engine=engine, **observer_opts)
    return cal.run(source, config=config, show_progress=show_progress)
