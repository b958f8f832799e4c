"""ONNX Runtime on an npukit float graph, with every intermediate value as an output.

The golden float reference of the accuracy analysis, and the fast float
engine of calibration: the graph is exported (fused activations unfused,
npukit extensions lowered to standard ONNX), every produced value becomes a
graph output, and one ``run`` returns them all by the graph's value names.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np

from npukit.errors import NpukitError
from npukit.ir import Graph


class OrtReference:
    """``graph`` in ONNX Runtime returning ``values`` (default: every produced value).

    ``optimized=False`` turns ORT's graph rewrites off (the analysis's golden
    run: each value computed as written); with them on, ORT still keeps every
    requested output but picks its fast kernels (calibration, ~3x faster).
    """

    def __init__(self, graph: Graph, values: Iterable[str] | None = None, *,
                 optimized: bool = True, threads: int | None = None) -> None:
        import onnxruntime as ort

        from npukit.frontends.onnx.exporter import export_model
        model = export_model(graph)
        want = None if values is None else set(values)
        have = {o.name for o in model.graph.output}
        for vi in list(model.graph.value_info):
            if vi.name not in have and (want is None or vi.name in want):
                model.graph.output.append(vi)
        so = ort.SessionOptions()
        so.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimized
                                       else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
        if threads:
            so.intra_op_num_threads = threads
        so.log_severity_level = 3
        try:
            self.sess = ort.InferenceSession(model.SerializeToString(), so,
                                             providers=["CPUExecutionProvider"])
        except Exception as e:  # ORT's own error types
            raise NpukitError(f"ONNX Runtime cannot load model {graph.name!r}: "
                              f"{type(e).__name__}: {str(e).splitlines()[0]}") from None
        self.names = [o.name for o in self.sess.get_outputs()]
        self.inputs = [i.name for i in self.sess.get_inputs()]

    def __call__(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        run = {k: np.asarray(v) for k, v in feeds.items() if k in self.inputs}
        return dict(zip(self.names, self.sess.run(None, run)))
