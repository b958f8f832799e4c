"""Time of the whole convert (load → quantize → place/lower → plan/pack/write .npk).

    python benchmarks/bench_convert.py [--calib 20] [--target rk3588]

On the embedded demo CNN and the light ResNet-50 (random seeded weights),
with 20 calibration inputs each, stage by stage.  Peer in the same run:
ONNX Runtime's static quantizer (``quantize_static``, MinMax, QDQ, per-channel)
on the same model and the same 20 inputs — it stops at a QDQ ONNX file, so it
does the work of npukit's load + quantize stages only.  Writes
benchmarks/results/convert.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def _model(name: str):  # noqa: ANN202
    import numpy as np
    import onnx
    if name == "demo":
        from npukit import demo
        m = onnx.load(str(demo.MODEL))
        meta = demo.meta()
        x = demo.calibration().tensors(meta["mean"], meta["std"])
        return m, "image", [x[i:i + 1] for i in range(len(x))], {"image": [1, 1, 28, 28]}
    from npukit.frontends.onnx.zoo import light_model_path, randomized
    m = randomized(onnx.load(light_model_path(name)), seed=1)
    m.ir_version = max(m.ir_version, 4)
    inp = m.graph.input[0]
    shape = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    rng = np.random.default_rng(0)
    return m, inp.name, [rng.standard_normal(shape).astype(np.float32) for _ in range(40)], \
        {inp.name: shape}


def bench_npukit(model, name: str, xs: list, shapes: dict, target: str, d: Path) -> dict:  # noqa: ANN001
    from npukit.api import load
    from npukit.compiler import compile_model
    from npukit.quant.config import QuantConfig
    from npukit.quant.quantizer import quantize
    from npukit.targets import load_target
    path = d / "m.onnx"
    path.write_bytes(model.SerializeToString())
    t = [time.perf_counter()]
    m = load(str(path), input_shapes=shapes)
    t.append(time.perf_counter())
    cfg = QuantConfig(rounding=load_target(target).numerics.rounding)
    qm = quantize(m.graph, [{name: x} for x in xs], cfg, show_progress=False)
    t.append(time.perf_counter())
    res = compile_model(qm, target, d / "m.npk", force=True)
    t.append(time.perf_counter())
    return {"load_s": t[1] - t[0], "quantize_s": t[2] - t[1], "compile_s": t[3] - t[2],
            "total_s": t[3] - t[0], "npk_bytes": res.file_bytes,
            "records": len(res.program.records),
            "npu_nodes": res.placement.counts()["npu"], "cpu_nodes": res.placement.counts()["cpu"]}


def bench_ort(model, name: str, xs: list, d: Path) -> float:  # noqa: ANN001
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, quantize_static
    ort.set_default_logger_severity(3)     # the light models list initializers as inputs

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter(xs)

        def get_next(self):  # noqa: ANN202
            x = next(self.it, None)
            return None if x is None else {name: x}

    src, dst = d / "ort_in.onnx", d / "ort_q.onnx"
    src.write_bytes(model.SerializeToString())
    t = time.perf_counter()
    quantize_static(str(src), str(dst), Reader(), quant_format=QuantFormat.QDQ,
                    per_channel=True)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="demo,resnet50")
    ap.add_argument("--calib", type=int, default=20)
    ap.add_argument("--target", default="rk3588")
    args = ap.parse_args()
    rows = []
    for model_name in args.models.split(","):
        model, name, xs, shapes = _model(model_name)
        xs = xs[:args.calib]
        with tempfile.TemporaryDirectory() as tmp:
            r = bench_npukit(model, name, xs, shapes, args.target, Path(tmp))
            r["ort_quantize_static_s"] = bench_ort(model, name, xs, Path(tmp))
        r = {"model": model_name, **{k: round(v, 3) if isinstance(v, float) else v
                                     for k, v in r.items()}}
        rows.append(r)
        print(json.dumps(r), flush=True)
    import numpy as np
    import onnxruntime as ort
    env = {"target": args.target, "calibration_inputs": args.calib,
           "python": sys.version.split()[0], "numpy": np.__version__,
           "onnxruntime": ort.__version__, "machine": platform.machine(),
           "cpus": os.cpu_count(), "omp_threads": os.environ.get("OMP_NUM_THREADS", "")}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "convert.json").write_text(json.dumps({"env": env, "rows": rows}, indent=2)
                                          + "\n")
    md = ["| model | load (s) | quantize (s) | compile (s) | total (s) | .npk (KiB) | "
          "NPU / CPU nodes | ORT quantize_static (s) |", "|---|---:|---:|---:|---:|---:|---|---:|"]
    for r in rows:
        md.append(f"| {r['model']} | {r['load_s']} | {r['quantize_s']} | {r['compile_s']} | "
                  f"{r['total_s']} | {r['npk_bytes'] / 1024:.0f} | {r['npu_nodes']} / "
                  f"{r['cpu_nodes']} | {r['ort_quantize_static_s']} |")
    md.append(f"\nTarget {args.target}, {args.calib} calibration inputs (demo: real digits; "
              f"resnet50: N(0,1) noise), batch 1, OMP_NUM_THREADS={env['omp_threads'] or '-'}; "
              f"numpy {env['numpy']}, onnxruntime {env['onnxruntime']}, {env['machine']}, "
              "CPUs shared with other jobs.")
    (RESULTS / "convert.md").write_text("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
