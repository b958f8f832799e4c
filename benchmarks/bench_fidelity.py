"""How close is npukit's int8 to the float model, against ONNX Runtime's own int8?

    python benchmarks/bench_fidelity.py [--quick] [--models efficientnet_lite0,demo]

For each model, in the same run and on the same calibration and evaluation
inputs:

* the float model in ONNX Runtime is the reference;
* npukit ``default`` (``QuantConfig()``) and ``best`` (the most accurate
  configuration measured, docs/quantization.md) are quantized by
  ``npukit.quant.quantize`` and run bit-exactly in npukit's integer simulator;
* ONNX Runtime's ``quantize_static`` (QDQ, per-channel int8 weights, int8
  activations) with MinMax, Entropy and Percentile calibration, run in ORT.

Reported per row: top-1 agreement with float, mean / min output cosine, build
time (calibration + quantization; npukit also lowers), and for the demo model
(held-out labelled digits) the accuracy.  Models: EfficientNet-Lite0 with its
real ImageNet weights (examples/efficientnet_lite0/export.py, skipped when torch
or its weights are missing), the ``light`` resnet50 and squeezenet from the onnx
wheel with seeded random weights (architecture only), calibrated and evaluated
on photo crops (examples/photos.py), and npukit's demo MNIST model.  Writes
benchmarks/results/fidelity.json and fidelity.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
sys.path[:0] = [str(ROOT / "examples"), str(ROOT / "examples" / "efficientnet_lite0")]

# (calibration, evaluation) samples per model: full run / --quick
SIZES = {"efficientnet_lite0": ((100, 100), (24, 24)), "squeezenet": ((50, 50), (12, 12)),
         "resnet50": ((16, 16), (6, 6)), "demo": ((200, 1000), (50, 200))}


def _best():  # noqa: ANN202
    from npukit.quant.config import QuantConfig
    return QuantConfig(algo="mse", weight_algo="mse", bias_correction_samples=32)


BEST = _best()


@dataclass
class Case:
    name: str
    model: object              # onnx.ModelProto
    input: str
    calib: np.ndarray
    evals: np.ndarray
    labels: np.ndarray | None = None
    weights: str = "real"


def load_case(name: str, n_cal: int, n_eval: int) -> Case | None:
    import onnx
    if name == "demo":
        from npukit import demo
        meta = demo.meta()
        held = demo.heldout()
        return Case(name, onnx.load(str(demo.MODEL)), "image",
                    demo.calibration().tensors(meta["mean"], meta["std"])[:n_cal],
                    held.tensors(meta["mean"], meta["std"])[:n_eval], held.labels[:n_eval])
    from photos import photo_crops, to_nchw
    if name == "efficientnet_lite0":
        try:
            from export import MEAN, STD, ensure
            path = ensure()
        except Exception as e:            # torch / weights absent: say so, keep going
            print(f"skipping {name}: {type(e).__name__}: {e}", file=sys.stderr)
            return None
        model, mean, std, weights = onnx.load(str(path)), MEAN, STD, "real (ImageNet)"
    else:
        from npukit.frontends.onnx.zoo import light_model_path, randomized
        model = randomized(onnx.load(light_model_path(name)), seed=1)
        model.ir_version = max(model.ir_version, 4)
        mean, std, weights = 127.0, 128.0, "random (seed 1)"
    inp = next(i.name for i in model.graph.input
               if i.name not in {t.name for t in model.graph.initializer})
    return Case(name, model, inp, to_nchw(photo_crops(n_cal, 1), mean, std),
                to_nchw(photo_crops(n_eval, 2), mean, std), None, weights)


def ort_session(model_bytes: bytes):  # noqa: ANN201
    import onnxruntime as ort
    ort.set_default_logger_severity(3)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    return ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])


def run_ort(sess, name: str, xs: np.ndarray) -> np.ndarray:  # noqa: ANN001
    return np.concatenate([sess.run(None, {name: xs[i:i + 1]})[0] for i in range(len(xs))])


def metrics(ref: np.ndarray, out: np.ndarray, labels: np.ndarray | None) -> dict:
    r, o = ref.reshape(len(ref), -1).astype(np.float64), out.reshape(len(out), -1)
    cos = (r * o).sum(1) / np.maximum(np.linalg.norm(r, axis=1) * np.linalg.norm(o, axis=1),
                                      1e-30)
    row = {"top1_agreement": float(np.mean(r.argmax(1) == o.argmax(1))),
           "cosine_mean": float(cos.mean()), "cosine_min": float(cos.min())}
    if labels is not None:
        row["accuracy"] = float(np.mean(o.argmax(1) == labels))
    return row


def case_graph(case: Case):  # noqa: ANN201
    """The case's model imported with a static batch-1 input."""
    from npukit.frontends.onnx import import_model
    graph = import_model(case.model, name=case.name)
    shape = graph.values[case.input].shape
    if shape and not all(isinstance(d, int) for d in shape):
        graph = import_model(case.model, name=case.name,
                             input_shapes={case.input: [1, *case.calib.shape[1:]]})
    return graph


def quantize_and_run(graph, case: Case, cfg):  # noqa: ANN001, ANN201
    """``(quantized model, build seconds, outputs on the evaluation inputs)``."""
    from npukit.quant.quantizer import quantize
    from npukit.sim.program_executor import ProgramExecutor
    t = time.perf_counter()
    qm = quantize(graph, [{case.input: case.calib[i:i + 1]} for i in range(len(case.calib))],
                  cfg, show_progress=False)
    exe = ProgramExecutor(qm.program)
    build = time.perf_counter() - t
    name = qm.program.outputs[0]
    out = np.concatenate([exe.run({case.input: case.evals[i:i + 1]})[name]
                          for i in range(len(case.evals))])
    return qm, build, out


def bench_npukit(case: Case, configs: dict) -> list[dict]:
    graph = case_graph(case)
    rows = []
    for label, cfg in configs.items():
        _, build, out = quantize_and_run(graph, case, cfg)
        rows.append({"tool": "npukit", "config": label, "build_s": build, "out": out})
    return rows


class _Reader:
    def __init__(self, name: str, xs: np.ndarray) -> None:
        self.it = iter([{name: xs[i:i + 1]} for i in range(len(xs))])

    def get_next(self) -> dict | None:
        return next(self.it, None)


def bench_ort(case: Case, work: Path) -> list[dict]:
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    model = case.model
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
    if opset < 13:       # ORT writes per-channel DequantizeLinear (axis): opset 13 or newer
        model = version_converter.convert_version(model, 13)
        onnx.checker.check_model(model)
    src = work / f"{case.name}.onnx"
    src.write_bytes(model.SerializeToString())
    rows = []
    for method in ("MinMax", "Entropy", "Percentile"):
        dst = work / f"{case.name}.{method}.onnx"
        t = time.perf_counter()
        try:
            quantize_static(str(src), str(dst), _Reader(case.input, case.calib),
                            quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                            calibrate_method=getattr(CalibrationMethod, method))
            sess = ort_session(dst.read_bytes())
        except Exception as e:        # report, do not abort the whole benchmark
            rows.append({"tool": "onnxruntime", "config": method, "error": f"{e}"[:200]})
            continue
        build = time.perf_counter() - t
        rows.append({"tool": "onnxruntime", "config": method, "build_s": build,
                     "out": run_ort(sess, case.input, case.evals)})
    return rows


def npukit_configs() -> dict:
    from npukit.quant.config import QuantConfig
    return {"default": QuantConfig(), "best": BEST}


def bench_model(case: Case, work: Path) -> dict:
    ref_sess = ort_session(case.model.SerializeToString())
    ref = run_ort(ref_sess, case.input, case.evals)
    rows = bench_npukit(case, npukit_configs()) + bench_ort(case, work)
    out = {"model": case.name, "weights": case.weights, "calib": len(case.calib),
           "eval": len(case.evals), "rows": []}
    if case.labels is not None:
        out["float_accuracy"] = float(np.mean(ref.reshape(len(ref), -1).argmax(1)
                                              == case.labels))
    for r in rows:
        row = {k: v for k, v in r.items() if k != "out"}
        if "out" in r:
            row.update(metrics(ref, r["out"], case.labels))
            row["build_s"] = round(r["build_s"], 2)
        out["rows"].append(row)
        print(f"{case.name:20s} {r['tool']:12s} {r['config']:10s} " + " ".join(
            f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
            for k, v in row.items() if k not in ("tool", "config")), flush=True)
    return out


def markdown(result: dict) -> str:
    lines = ["# Quantization fidelity: npukit vs ONNX Runtime int8", "",
             f"Generated by `benchmarks/bench_fidelity.py`{' --quick' if result['quick'] else ''}"
             f" on {result['machine']}.  Reference: the float model in ONNX Runtime; "
             "npukit runs bit-exactly in its integer simulator, ORT's QDQ model in ORT.", ""]
    for m in result["models"]:
        acc = "accuracy" in (m["rows"][0] if m["rows"] else {})
        lines += [f"## {m['model']} ({m['weights']} weights; {m['calib']} calibration / "
                  f"{m['eval']} evaluation inputs)", ""]
        if "float_accuracy" in m:
            lines += [f"Float held-out accuracy: {m['float_accuracy']:.2%}", ""]
        head = "| tool | config | top-1 agreement | mean cosine | min cosine | build s |"
        lines += [head + (" accuracy |" if acc else ""),
                  "|---" * (6 + acc) + "|"]
        for r in m["rows"]:
            if "error" in r:
                lines.append(f"| {r['tool']} | {r['config']} | failed: {r['error'][:60]} |")
                continue
            lines.append(f"| {r['tool']} | {r['config']} | {r['top1_agreement']:.1%} | "
                         f"{r['cosine_mean']:.4f} | {r['cosine_min']:.4f} | {r['build_s']:.1f} |"
                         + (f" {r['accuracy']:.2%} |" if acc else ""))
        lines.append("")
    lines += ["npukit configs: " + "; ".join(f"`{k}` = `{v}`" for k, v in result["configs"]
                                            .items()), ""]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="CI-sized runs (fewer inputs)")
    p.add_argument("--models", default=",".join(SIZES))
    p.add_argument("--out", default=str(RESULTS / "fidelity"))
    args = p.parse_args()
    models = []
    with tempfile.TemporaryDirectory() as d:
        for name in args.models.split(","):
            n_cal, n_eval = SIZES[name][1 if args.quick else 0]
            case = load_case(name, n_cal, n_eval)
            if case is not None:
                models.append(bench_model(case, Path(d)))
    from dataclasses import fields
    configs = {k: ", ".join(f"{f.name}={getattr(v, f.name)!r}" for f in fields(v)
                            if getattr(v, f.name) != f.default
                            and f.name != "overrides") or "QuantConfig()"
               for k, v in npukit_configs().items()}
    result = {"quick": args.quick, "machine": f"{platform.machine()} {platform.system()}, "
              f"python {platform.python_version()}", "configs": configs, "models": models}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    out.with_suffix(".md").write_text(markdown(result))


if __name__ == "__main__":
    main()
