"""Layer 8: the Python API — ``load``, ``optimize``, ``quantize``, ``analyze``,
``compile`` and ``Runtime``.

    import npukit.api as npk
    model = npk.load("model.onnx", input_shapes={"data": [1, 3, 224, 224]})
    qm = npk.quantize(model, "calib/")                 # images, .npy/.npz or dataset.txt
    print(npk.analyze(qm, eval_feeds).format())        # per-layer accuracy
    npk.compile(qm, "rk3588", "model.npk")
    with npk.Runtime("model.npk") as rt:
        y = rt.run({"data": x})

With the camera preprocessing compiled in (AIPP, docs/aipp.md):

    qm = npk.quantize(model, "photos/", aipp="aipp.cfg")   # calibrated through the AIPP
    npk.compile(qm, "rk3588", "model.npk", aipp="aipp.cfg") # the input takes NV12 frames
    with npk.Runtime("model.npk") as rt:
        y = rt.run({"data": nv12_frame})
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from npukit.analysis.accuracy import AccuracyReport
from npukit.analysis.accuracy import analyze as _analyze
from npukit.compiler import CompileResult, compile_model
from npukit.compiler.aipp import AippSpec, aipp_stages
from npukit.compiler.aipp_calib import quantize_through_aipp
from npukit.frontends.onnx import import_model
from npukit.ir import Graph
from npukit.passes import optimize as _optimize
from npukit.quant.calib_data import CalibConfig
from npukit.quant.config import QuantConfig
from npukit.quant.quantizer import QuantizedModel
from npukit.quant.quantizer import quantize as _quantize
from npukit.runtime import Runtime
from npukit.sim import FloatExecutor

__all__ = ["Model", "QuantConfig", "CalibConfig", "Runtime", "analyze", "compile", "load",
           "optimize", "quantize"]


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


def quantize(model: Model | Graph, calib: Any, config: QuantConfig | None = None, *,
             calib_config: CalibConfig | None = None, show_progress: bool = False,
             aipp: AippSpec | None = None) -> QuantizedModel:
    """Post-training quantization with calibration data (see ``npukit.quant``).

    ``aipp`` (an ATC / TOML file, ``AippConfig``, ``AippStage`` or ``{input: …}``):
    the calibration photos or raw frames go through that AIPP, and the input's range
    is the exact range AIPP produces (``npukit.compiler.aipp_calib``).  Pass the same
    ``aipp`` to :func:`compile`.
    """
    g = model.graph if isinstance(model, Model) else model
    if aipp is not None:
        return quantize_through_aipp(g, aipp_stages(g, aipp), calib, config,
                                     calib_config=calib_config, show_progress=show_progress)
    return _quantize(g, calib, config, calib_config=calib_config, show_progress=show_progress)


def analyze(qmodel: QuantizedModel, inputs: Iterable[Mapping[str, np.ndarray]]
            ) -> AccuracyReport:
    """Per-layer accuracy (accumulated and single) against the float model."""
    return _analyze(qmodel, inputs)


def compile(qmodel: QuantizedModel, target: str, out: str | os.PathLike,  # noqa: A001
            *, aipp: AippSpec | None = None, **options: Any) -> CompileResult:
    """Place, lower, plan memory and write ``out`` (an ``.npk``) for ``target``.

    ``aipp``: the inputs it names take raw camera frames; the runtime runs the
    integer AIPP path and feeds the first layer its codes (docs/aipp.md §8).
    """
    return compile_model(qmodel, target, out, aipp=aipp, **options)
