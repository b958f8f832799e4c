"""Float executor vs ONNX Runtime (same thread count) on light models with random weights.

    python benchmarks/bench_float_executor.py [--threads 1] [--repeat 10]

Writes benchmarks/results/float_executor.json and .md (quoted by the README).
Both runtimes see the same input; ORT runs with all graph optimisations on
(its default), npukit runs its -O3 optimised graph.  Times are medians.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from timing import median_ms  # noqa: E402

RESULTS = Path(__file__).parent / "results"




def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--models", default="resnet50,squeezenet")
    args = ap.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    import onnx
    import onnxruntime as ort

    from npukit.frontends.onnx import import_model
    from npukit.frontends.onnx.zoo import light_model_path, randomized
    from npukit.passes import optimize
    from npukit.sim import FloatExecutor

    rows = []
    for name in args.models.split(","):
        model = randomized(onnx.load(light_model_path(name)), seed=1)
        # Caffe2-era files list their weights as graph inputs too, which stops ORT from
        # treating them as constants (no pre-packing): remove them so ORT runs at its best.
        inits = {i.name for i in model.graph.initializer}
        keep = [i for i in model.graph.input if i.name not in inits]
        del model.graph.input[:]
        model.graph.input.extend(keep)
        g, _ = optimize(import_model(model, name=name), level="O3")
        x = np.random.default_rng(0).standard_normal(g.values[g.inputs[0]].shape)
        feeds = {g.inputs[0]: x.astype(np.float32)}
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        so.inter_op_num_threads = 1
        sess = ort.InferenceSession(model.SerializeToString(), so,
                                    providers=["CPUExecutionProvider"])
        ex = FloatExecutor(g)
        ref = sess.run(None, feeds)[0]
        ours = ex.run(feeds)[g.outputs[0]]
        err = float(np.max(np.abs(ours - ref)))
        t_ort = median_ms(lambda s=sess, f=feeds: s.run(None, f), args.repeat)
        t_npk = median_ms(lambda e=ex, f=feeds: e.run(f), args.repeat)
        rows.append({"model": name, "ort_ms": round(t_ort, 2), "npukit_ms": round(t_npk, 2),
                     "ratio": round(t_npk / t_ort, 2), "max_abs_diff": err})
        print(f"{name:12s} ORT {t_ort:8.2f} ms   npukit {t_npk:8.2f} ms   "
              f"ratio {t_npk / t_ort:5.2f}×   max|diff| {err:.2e}", flush=True)
    env = {"threads": args.threads, "repeat": args.repeat, "python": sys.version.split()[0],
           "numpy": np.__version__, "onnxruntime": ort.__version__,
           "machine": platform.machine(), "cpus": os.cpu_count()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "float_executor.json").write_text(json.dumps({"env": env, "rows": rows},
                                                            indent=2) + "\n")
    md = ["| model | ONNX Runtime (ms) | npukit float (ms) | npukit / ORT |",
          "|---|---:|---:|---:|"]
    md += [f"| {r['model']} | {r['ort_ms']} | {r['npukit_ms']} | {r['ratio']}× |" for r in rows]
    md.append(f"\n{args.threads} thread(s), median of {args.repeat}, batch 1, "
              f"numpy {np.__version__}, onnxruntime {ort.__version__}, {env['machine']}.")
    (RESULTS / "float_executor.md").write_text("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
