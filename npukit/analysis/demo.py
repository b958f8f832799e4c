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
#: the output-cosine budget of the demo's automatic mixed-precision step
MIXED_COSINE = 0.99999


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
    res.update(_mixed(qm, x, labels, ours, echo))
    res.update(_compile_and_run(qm, prof, out_dir, x, labels, echo))
    echo(f"\nHTML report: {res['report']}")
    return res


def _mixed(qm: Any, x: np.ndarray, labels: np.ndarray, ours: np.ndarray, echo: Echo
           ) -> dict[str, Any]:
    """``--mixed auto``: raise the most sensitive layers until the output cosine reaches
    MIXED_COSINE on analysis digits, then the held-out accuracy of the raised model."""
    from npukit.quant.config import Budget
    from npukit.quant.mixed import auto_mixed, cost
    _stage(echo, f"mixed precision: --mixed auto to output cosine {MIXED_COSINE}")
    search = x[100:200] if len(x) >= 200 else x[:100]
    try:
        best, rep = auto_mixed(qm, _batches(search), Budget(cosine=MIXED_COSINE))
    except NpukitError as e:                 # unreachable budget: say so, go on
        echo(str(e))
        return {"mixed": None}
    q = np.concatenate([best.run(f)["logits"] for f in _batches(x)])
    acc = float((q.argmax(1) == labels).mean())
    raised = ", ".join(f"{n} → {p}" for n, p in rep.changed.items()) or "nothing"
    before, after = cost(qm), cost(best)
    echo(f"searched on {len(search)} held-out digits in {rep.trials} trial(s): raised "
         f"{raised}; output cosine {rep.start['cosine']:.5f} → {rep.reached['cosine']:.5f}")
    echo(f"held-out accuracy with mixed precision {acc:.2%} (top-1 agreement "
         f"{float((q.argmax(1) == ours.argmax(1)).mean()):.2%}); weights "
         f"{before.weight_bytes} → {after.weight_bytes} B, activations "
         f"{before.activation_bytes} → {after.activation_bytes} B")
    return {"mixed": {"changed": rep.changed, "accuracy": acc, "reached": rep.reached}}


def _compile_and_run(qm: Any, prof: Any, out_dir: Path, x: np.ndarray, labels: np.ndarray,
                     echo: Echo) -> dict[str, Any]:
    """Compile the .npk (batch 1 for the board, batch 50 for this check), print the
    placement, reload it through the Runtime and compare with the simulator."""
    from npukit.compiler import compile_model
    from npukit.runtime import Runtime
    from npukit.sim.program_executor import ProgramExecutor
    _stage(echo, f"placement and compile for {prof.name}")
    path = out_dir / f"digits_{prof.name}.npk"
    shapes = [{"image": [1, 1, 28, 28]}, {"image": [BATCH, 1, 28, 28]}]
    result = compile_model(qm, prof, path, shapes=shapes, force=True)
    placement = result.placements[result.shapes[0]]
    echo(placement.format())
    plan = result.plans[result.shapes[0]]
    echo(f"wrote {path} ({result.file_bytes / 1024:.1f} KiB) in {result.seconds:.2f} s; "
         f"activation arena {plan.arena_bytes} B (lower bound {plan.lower_bound} B)")
    _stage(echo, "run the .npk through the Runtime")
    sim = ProgramExecutor(result.programs[result.shapes[1]])
    with Runtime(path) as rt:
        got = [rt.run(f)["logits"] for f in _batches(x)]
        want = [sim.run(f)["logits"] for f in _batches(x)]
        one = rt.run({"image": x[:1]})["logits"]
    same = all(np.array_equal(a, b) for a, b in zip(got, want))
    if not same:
        raise NpukitError("the Runtime's outputs differ from the simulator's (a bug: please "
                          "report it)")
    acc = float((np.concatenate(got).argmax(1) == labels).mean())
    echo(f"Runtime on {len(labels)} held-out digits: accuracy {acc:.2%}, outputs identical to "
         f"the simulator's bit for bit; batch-1 program: class {int(one.argmax())} for "
         f"label {int(labels[0])}")
    from npukit.cost import estimate
    _stage(echo, f"estimated performance on {prof.name} (batch 1, no board needed)")
    perf = estimate(result.programs[result.shapes[0]], prof, plan=plan)
    echo(perf.format())
    counts = placement.counts()
    return {"npk": str(path), "npk_bytes": result.file_bytes, "runtime_accuracy": acc,
            "estimate": perf.totals,
            "runtime_bit_exact": same, "placement": counts,
            "arena_bytes": plan.arena_bytes, "arena_lower_bound": plan.lower_bound}


def _ort_logits(path: str, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return np.concatenate([sess.run(None, f)[0] for f in _batches(x)])
