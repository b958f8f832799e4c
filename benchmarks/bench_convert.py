"""Time of the whole convert (load → quantize → place/lower → plan/pack/write .npk).

    python benchmarks/bench_convert.py [--calib N] [--target rk3588] [--models …]

On the embedded demo CNN and the light ResNet-50 (random seeded weights) with
20 calibration inputs each, and EfficientNet-Lite0 (real ImageNet weights;
needs the zoo extra) with 100 calibration photo crops — the issue's case,
RKNN-Toolkit2's ``build`` takes 9.3 s for it on this machine class — stage
by stage.  Peer in the same run:
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
    if name == "efficientnet_lite0":
        root = Path(__file__).resolve().parents[1]
        sys.path[:0] = [str(root / "examples"), str(root / "examples" / "efficientnet_lite0")]
        from export import MEAN, STD, ensure
        from photos import photo_crops, to_nchw
        x = to_nchw(photo_crops(100, seed=1), MEAN, STD)
        return onnx.load(ensure()), "image", [x[i:i + 1] for i in range(len(x))], \
            {"image": [1, 3, 224, 224]}
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
    ap.add_argument("--models", default="demo,resnet50,efficientnet_lite0")
    ap.add_argument("--calib", type=int, default=None,
                    help="calibration inputs (default 100 for EfficientNet-Lite0, else 20)")
    ap.add_argument("--target", default="rk3588")
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    rows = []
    for model_name in args.models.split(","):
        try:
            model, name, xs, shapes = _model(model_name)
        except ImportError as e:
            print(f"{model_name} skipped: {e}")
            continue
        xs = xs[:args.calib or (100 if model_name == "efficientnet_lite0" else 20)]
        with tempfile.TemporaryDirectory() as tmp:
            r = bench_npukit(model, name, xs, shapes, args.target, Path(tmp))
            r["ort_quantize_static_s"] = bench_ort(model, name, xs, Path(tmp))
        r = {"model": model_name, "calib": len(xs), **{k: round(v, 3) if isinstance(v, float) else v
                                     for k, v in r.items()}}
        rows.append(r)
        print(json.dumps(r), flush=True)
    import numpy as np
    import onnxruntime as ort
    env = {"target": args.target,
           "python": sys.version.split()[0], "numpy": np.__version__,
           "onnxruntime": ort.__version__, "machine": platform.machine(),
           "cpus": os.cpu_count(), "omp_threads": os.environ.get("OMP_NUM_THREADS", "")}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "convert.json").write_text(json.dumps({"env": env, "rows": rows}, indent=2)
                                          + "\n")
    md = ["| model | calib | load (s) | quantize (s) | compile (s) | total (s) | .npk (KiB) | "
          "NPU / CPU nodes | ORT quantize_static (s) |",
          "|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in rows:
        md.append(f"| {r['model']} | {r['calib']} | {r['load_s']} | {r['quantize_s']} | "
                  f"{r['compile_s']} | "
                  f"{r['total_s']} | {r['npk_bytes'] / 1024:.0f} | {r['npu_nodes']} / "
                  f"{r['cpu_nodes']} | {r['ort_quantize_static_s']} |")
    md.append(f"\nTarget {args.target}; calibration inputs: demo real digits, resnet50 "
              "N(0,1) noise, efficientnet_lite0 photo crops (examples/photos.py); batch 1, "
              f"OMP_NUM_THREADS={env['omp_threads'] or '-'}; numpy {env['numpy']}, "
              f"onnxruntime {env['onnxruntime']}, {env['machine']}, load average before the "
              f"run {load0:.1f}.")
    (RESULTS / "convert.md").write_text("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
