"""Integer simulator speed vs ONNX Runtime (float32, and its own QDQ int8), same threads.

    python benchmarks/bench_simulator.py [--threads 1] [--repeat 10] [--models enet,resnet50]

EfficientNet-Lite0 (real weights; needs the torch extra and the efficientnet
packages — skipped with a note otherwise) and the light resnet50 (random
weights).  npukit runs its bit-exact int8 program; ORT runs the float model and
the QDQ model npukit exports (with ORT's graph optimisations, i.e. its own int8
kernels).  Writes benchmarks/results/simulator.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
from timing import median_ms  # noqa: E402

RESULTS = Path(__file__).parent / "results"




def _models(names: list[str]):
    import numpy as np
    import onnx

    from npukit.frontends.onnx.zoo import light_model_path, randomized
    sys.path[:0] = [str(ROOT / "examples"), str(ROOT / "examples" / "efficientnet_lite0")]
    for name in names:
        if name == "enet":
            try:
                from export import MEAN, STD, ensure
                from photos import photo_crops, to_nchw
                model = onnx.load(ensure())
            except ImportError as e:
                print(f"EfficientNet-Lite0 skipped: {e}")
                continue
            calib = to_nchw(photo_crops(20, seed=1), MEAN, STD)
            x = to_nchw(photo_crops(1, seed=2), MEAN, STD)
            yield "efficientnet_lite0", model, calib, x
        else:
            model = randomized(onnx.load(light_model_path(name)), seed=1)
            rng = np.random.default_rng(0)
            calib = rng.standard_normal((20, 3, 224, 224)).astype(np.float32)
            yield name, model, calib, calib[:1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--models", default="enet,resnet50")
    args = ap.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    import onnxruntime as ort

    from npukit.frontends.onnx import export_model, import_model
    from npukit.quant.qdq import to_qdq
    from npukit.quant.quantizer import quantize
    from npukit.sim.program_executor import ProgramExecutor

    def session(model):
        so = ort.SessionOptions()
        so.intra_op_num_threads, so.inter_op_num_threads = args.threads, 1
        return ort.InferenceSession(model.SerializeToString(), so,
                                    providers=["CPUExecutionProvider"])

    rows = []
    for name, model, calib, x in _models(args.models.split(",")):
        g = import_model(model, name=name, input_shapes={model.graph.input[0].name:
                                                         list(x.shape)})
        inp = g.inputs[0]
        qm = quantize(g, [{inp: calib[k:k + 1]} for k in range(len(calib))],
                      show_progress=False)
        exe = ProgramExecutor(qm.program)
        feeds = {inp: x}
        f32, qdq = session(model), session(export_model(to_qdq(qm.graph)))
        t_sim = median_ms(lambda e=exe, f=feeds: e.run(f), args.repeat)
        t_f32 = median_ms(lambda s=f32, f=feeds: s.run(None, f), args.repeat)
        t_q = median_ms(lambda s=qdq, f=feeds: s.run(None, f), args.repeat)
        npu = sum(r.engine == "npu" for r in qm.program.records)
        rows.append({"model": name, "npukit_int8_ms": round(t_sim, 2),
                     "ort_float32_ms": round(t_f32, 2), "ort_qdq_int8_ms": round(t_q, 2),
                     "vs_ort_float32": round(t_sim / t_f32, 2),
                     "vs_ort_int8": round(t_sim / t_q, 2),
                     "integer_records": npu, "records": len(qm.program.records)})
        print(rows[-1], flush=True)
    env = {"threads": args.threads, "repeat": args.repeat, "numpy": np.__version__,
           "onnxruntime": ort.__version__, "cpus": os.cpu_count()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "simulator.json").write_text(json.dumps({"env": env, "rows": rows}, indent=2)
                                            + "\n")
    md = ["| model | npukit int8 simulator (ms) | ORT float32 (ms) | ORT QDQ int8 (ms) | "
          "npukit / ORT float32 | npukit / ORT int8 |", "|---|---:|---:|---:|---:|---:|"]
    md += [f"| {r['model']} | {r['npukit_int8_ms']} | {r['ort_float32_ms']} | "
           f"{r['ort_qdq_int8_ms']} | {r['vs_ort_float32']}× | {r['vs_ort_int8']}× |"
           for r in rows]
    md.append(f"\n{args.threads} thread(s), batch 1, median of {args.repeat}; npukit runs the "
              "bit-exact integer program, ORT runs the float model and the QDQ model npukit "
              "exports.")
    (RESULTS / "simulator.md").write_text("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
