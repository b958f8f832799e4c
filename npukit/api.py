"""Layer 8: the Python API — ``load``, ``optimize``, and (as they land) ``quantize``,
``analyze``, ``compile`` and ``Runtime``.

    import npukit
    model = npukit.load("model.onnx", input_shapes={"data": [1, 3, 224, 224]})
    opt = npukit.optimize(model)
    outputs = opt.run({"data": x})
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from npukit.frontends.onnx import import_model
from npukit.ir import Graph
from npukit.passes import optimize as _optimize
from npukit.sim import FloatExecutor


@dataclass
class Model:
    """A model in npukit's IR, with where it came from and what was done to it."""

    graph: Graph
    source: str
    history: list[str] = field(default_factory=list)

    @property
    def inputs(self) -> list[str]:
        return list(self.graph.inputs)

    @property
    def outputs(self) -> list[str]:
        return list(self.graph.outputs)

    def run(self, feeds: Mapping[str, np.ndarray] | Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """Run in float (NumPy kernels); feeds by name or in input order."""
        if not isinstance(feeds, Mapping):
            feeds = dict(zip(self.graph.inputs, feeds))
        return FloatExecutor(self.graph).run(feeds)


def load(path: str | os.PathLike, *, input_shapes: Mapping[str, Sequence[int]] | None = None
         ) -> Model:
    """Import an ONNX model (any opset 7…newest; external data supported)."""
    return Model(import_model(path, input_shapes=input_shapes), str(path), ["import"])


def optimize(model: Model, level: str = "O3") -> Model:
    """The optimised copy of ``model`` (``O0`` … ``O3``); ``history`` says what ran."""
    g, report = _optimize(model.graph, level=level)
    return Model(g, model.source, model.history + [
        f"optimize -{level}: {report.nodes_before} → {report.nodes_after} nodes"])
