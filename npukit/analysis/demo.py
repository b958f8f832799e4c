"""The demo pipeline behind ``npukit demo`` (and ``make demo``).

Every figure it shows is computed in the run: nothing is hard-coded.  Stages
are added here as the toolkit grows (quantize → analyse → place → compile →
run → estimate); each prints what it did through ``echo``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

import numpy as np

from npukit import demo as demo_data
from npukit.analysis.model_info import format_info, summarize
from npukit.errors import NpukitError

Echo = Callable[[str], None]


def _stage(echo: Echo, title: str) -> None:
    echo(f"\n── {title} " + "─" * max(0, 60 - len(title)))


def run_demo(*, model: str | None = None, out: str = "out/demo", echo: Echo = print) -> int:
    """Run the demo; write ``out/summary.json``.  Returns a process exit code."""
    import onnx

    from npukit.api import load, optimize
    from npukit.frontends.onnx.importer import load_onnx
    t0 = time.perf_counter()
    path = model or str(demo_data.MODEL)
    _stage(echo, f"import {Path(path).name}")
    m = load(path, input_shapes=None if model else {"image": [1, 1, 28, 28]})
    echo(format_info(summarize(m.graph)))
    _stage(echo, "optimise (-O3)")
    opt = optimize(m, "O3")
    echo(f"{len(m.graph.nodes)} → {len(opt.graph.nodes)} nodes: "
         + ", ".join(f"{k}×{v}" for k, v in opt.graph.op_histogram().items()))
    summary: dict = {"model": path, "nodes": len(m.graph.nodes),
                     "optimized_nodes": len(opt.graph.nodes)}
    if model is None:
        summary.update(_heldout_float(opt, onnx, load_onnx(path), echo))
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    _stage(echo, "done")
    echo(f"wrote {out_dir / 'summary.json'} in {summary['seconds']} s")
    return 0


def _heldout_float(opt, onnx, proto, echo: Echo) -> dict:  # noqa: ANN001
    """Held-out accuracy of the optimised float model in npukit vs ONNX Runtime."""
    import onnxruntime as ort
    meta = demo_data.meta()
    data = demo_data.heldout()
    x = data.tensors(meta["mean"], meta["std"])
    _stage(echo, f"float accuracy on {len(x)} held-out digits")
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    name = opt.inputs[0]
    ours, ref = [], []
    for k in range(len(x)):
        feed = {name: x[k:k + 1]}
        ours.append(opt.run(feed)[opt.outputs[0]][0])
        ref.append(sess.run(None, feed)[0][0])
    ours_a, ref_a = np.stack(ours), np.stack(ref)
    acc_npk = float((ours_a.argmax(1) == data.labels).mean())
    acc_ort = float((ref_a.argmax(1) == data.labels).mean())
    diff = float(np.max(np.abs(ours_a - ref_a)))
    if diff > 1e-3:
        raise NpukitError(f"npukit's float executor differs from ONNX Runtime by {diff:.2e} "
                          "on the demo model (a bug: please report it)")
    echo(f"npukit float  {acc_npk:.2%}    ONNX Runtime  {acc_ort:.2%}    "
         f"max |difference| {diff:.1e}")
    return {"float_accuracy": acc_npk, "ort_accuracy": acc_ort, "max_abs_diff": diff}
