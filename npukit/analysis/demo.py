"""The demo pipeline behind ``npukit demo`` (and ``make demo``).

Every figure it shows is computed in the run: nothing is hard-coded.  Each
stage prints what it did through ``echo`` and adds its numbers to
``out/summary.json``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from npukit import demo as demo_data
from npukit.analysis.model_info import format_info, summarize
from npukit.errors import NpukitError

Echo = Callable[[str], None]
BATCH = 50


def _stage(echo: Echo, title: str) -> None:
    echo(f"\n── {title} " + "─" * max(0, 62 - len(title)))


def run_demo(*, model: str | None = None, target: str = "rk3588", out: str = "out/demo",
             echo: Echo = print, heldout: int | None = None) -> int:
    """Run the demo; write ``out/summary.json`` and the HTML report.  Exit code."""
    from npukit.frontends.onnx import import_model
    from npukit.passes import optimize
    from npukit.targets import load_target
    t0 = time.perf_counter()
    prof = load_target(target)
    path = model or str(demo_data.MODEL)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    _stage(echo, f"import {Path(path).name}")
    g = import_model(path, input_shapes=None if model else {"image": [BATCH, 1, 28, 28]})
    echo(format_info(summarize(g)))
    _stage(echo, "optimise (-O3)")
    opt, _ = optimize(g, level="O3")
    echo(f"{len(g.nodes)} → {len(opt.nodes)} nodes: "
         + ", ".join(f"{k}×{v}" for k, v in opt.op_histogram().items()))
    summary: dict[str, Any] = {"model": path, "target": prof.name, "nodes": len(g.nodes),
                               "optimized_nodes": len(opt.nodes)}
    if model is None:
        summary.update(_digits(g, opt, path, prof, out_dir, echo, heldout))
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    _stage(echo, "done")
    echo(f"wrote {out_dir / 'summary.json'} in {summary['seconds']} s")
    return 0


def _batches(x: np.ndarray) -> list[dict[str, np.ndarray]]:
    return [{"image": x[k:k + BATCH]} for k in range(0, len(x) - BATCH + 1, BATCH)]


def _digits(g: Any, opt: Any, path: str, prof: Any, out_dir: Path, echo: Echo,
            limit: int | None) -> dict[str, Any]:
    from npukit.analysis.accuracy import analyze
    from npukit.analysis.report_html import write_html
    from npukit.quant.config import QuantConfig
    from npukit.quant.quantizer import quantize
    from npukit.sim import FloatExecutor
    meta = demo_data.meta()
    held, calib = demo_data.heldout(), demo_data.calibration()
    x, labels = held.tensors(meta["mean"], meta["std"])[:limit], held.labels[:limit]
    res: dict[str, Any] = {}
    _stage(echo, f"float accuracy on {len(x)} held-out digits")
    fx = FloatExecutor(opt)
    ours = np.concatenate([fx.run(f)["logits"] for f in _batches(x)])
    ref = _ort_logits(path, x)
    diff = float(np.max(np.abs(ours - ref)))
    if diff > 1e-3:
        raise NpukitError(f"npukit's float executor differs from ONNX Runtime by {diff:.2e} "
                          "on the demo model (a bug: please report it)")
    res["float_accuracy"] = float((ours.argmax(1) == labels).mean())
    echo(f"npukit float {res['float_accuracy']:.2%}   ONNX Runtime "
         f"{float((ref.argmax(1) == labels).mean()):.2%}   max |difference| {diff:.1e}")
    _stage(echo, f"quantize int8 for {prof.name} ({len(calib.labels)} calibration digits)")
    t = time.perf_counter()
    qm = quantize(g, _batches(calib.tensors(meta["mean"], meta["std"])),
                  QuantConfig(rounding=prof.numerics.rounding), show_progress=False)
    res["quantize_seconds"] = round(time.perf_counter() - t, 2)
    q = np.concatenate([qm.run(f)["logits"] for f in _batches(x)])
    res["int8_accuracy"] = float((q.argmax(1) == labels).mean())
    res["top1_agreement"] = float((q.argmax(1) == ours.argmax(1)).mean())
    echo(f"built in {res['quantize_seconds']} s;  held-out accuracy: float "
         f"{res['float_accuracy']:.2%}  int8 {res['int8_accuracy']:.2%}  "
         f"(top-1 agreement {res['top1_agreement']:.2%})")
    _stage(echo, "per-layer accuracy (100 held-out digits)")
    report = analyze(qm, _batches(x[:100]))
    echo(report.format())
    res["report"] = str(write_html(report, out_dir, title=f"digit CNN on {prof.name}"))
    res["output_cosine"] = report.outputs["logits"]["mean_cosine"]
    _stage(echo, "placement")
    rows = qm.placement()
    npu = [r for r in rows if r["engine"] == "npu"]
    echo(f"{len(npu)} of {len(rows)} nodes run as integer kernels on the NPU:")
    for r in rows:
        echo(f"  {r['engine']:<4} {r['node']:<44} {r['reason']}")
    res["npu_nodes"], res["nodes_placed"] = len(npu), len(rows)
    echo(f"\nHTML report: {res['report']}")
    return res


def _ort_logits(path: str, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return np.concatenate([sess.run(None, f)[0] for f in _batches(x)])
