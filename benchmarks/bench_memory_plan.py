"""Activation arena of the compiler's memory plan vs its lower bound and the naive sum.

    python benchmarks/bench_memory_plan.py [--models resnet50,squeezenet] [--target rk3588]

Each of the 9 light models from the onnx wheel (random seeded weights, see
npukit.frontends.onnx.zoo) is quantized with 3 random calibration inputs,
placed on the target (float records where npukit has no integer kernel yet
are fine: they take memory like any other) and planned.  Columns: the
arena of the plan (greedy by size, best-fit interval reuse), the lower
bound (largest sum of simultaneously live tensors), the naive sum of all
tensors, and a peer in the same run: first fit in program order (the
simplest reuse a hand-written runtime does).  Writes
benchmarks/results/memory_plan.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def first_fit_in_order(intervals, alignment):  # noqa: ANN001, ANN201
    """Peer: place tensors in definition order at the lowest free aligned offset."""
    from npukit.compiler.memory_plan import aligned
    placed, top = [], 0
    for iv in sorted(intervals, key=lambda i: (i.first, i.name)):
        busy = sorted((o, o + p.size) for o, p in placed if p.overlaps(iv))
        off = 0
        for lo, hi in busy:
            if off + iv.size <= lo:
                break
            off = max(off, aligned(hi, alignment))
        placed.append((off, iv))
        top = max(top, off + iv.size)
    return top


def bench_one(name: str, target: str, calib: int) -> dict:
    import numpy as np
    import onnx

    from npukit.compiler.memory_plan import liveness, plan_memory
    from npukit.frontends.onnx import import_model
    from npukit.frontends.onnx.zoo import light_model_path, randomized
    from npukit.partition import place
    from npukit.quant.quantizer import quantize

    model = randomized(onnx.load(light_model_path(name)), seed=1)
    model.ir_version = max(model.ir_version, 4)    # initializers need not be inputs
    g = import_model(model, name=name)
    rng = np.random.default_rng(0)
    shapes = {i: g.values[i].shape for i in g.inputs}
    feeds = [{i: rng.standard_normal(s).astype(np.float32) for i, s in shapes.items()}
             for _ in range(calib)]
    qm = quantize(g, feeds, show_progress=False)
    program = place(qm.graph, target).program
    t = time.perf_counter()
    plan = plan_memory(program)
    ms = 1000 * (time.perf_counter() - t)
    ivs, _ = liveness(program)
    peer = first_fit_in_order(ivs, plan.alignment)
    return {"model": name, "tensors": len(ivs), "records": len(program.records),
            "npu_records": sum(r.engine == "npu" for r in program.records),
            "arena_bytes": plan.arena_bytes, "lower_bound": plan.lower_bound,
            "naive_bytes": plan.naive_bytes, "first_fit_bytes": peer,
            "arena_over_bound": round(plan.ratio, 4),
            "naive_over_arena": round(plan.naive_bytes / max(plan.arena_bytes, 1), 2),
            "first_fit_over_arena": round(peer / max(plan.arena_bytes, 1), 3),
            "plan_ms": round(ms, 1)}


def main() -> int:
    from npukit.frontends.onnx.zoo import light_models
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join(light_models()))
    ap.add_argument("--target", default="rk3588")
    ap.add_argument("--calib", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for name in args.models.split(","):
        r = bench_one(name, args.target, args.calib)
        rows.append(r)
        print(f"{name:13s} arena {r['arena_bytes'] / 2**20:8.2f} MiB  bound "
              f"{r['lower_bound'] / 2**20:8.2f} MiB  naive {r['naive_bytes'] / 2**20:8.2f} MiB  "
              f"first-fit {r['first_fit_bytes'] / 2**20:8.2f} MiB  "
              f"(×{r['arena_over_bound']} of bound)", flush=True)
    import numpy as np
    env = {"target": args.target, "calibration_inputs": args.calib, "alignment": 64,
           "python": sys.version.split()[0], "numpy": np.__version__,
           "machine": platform.machine(), "cpus": os.cpu_count()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "memory_plan.json").write_text(json.dumps({"env": env, "rows": rows},
                                                         indent=2) + "\n")
    (RESULTS / "memory_plan.md").write_text(_markdown(rows, env))
    return 0


def _markdown(rows: list, env: dict) -> str:
    mib = 2 ** 20
    md = ["| model | tensors | arena (MiB) | lower bound (MiB) | arena / bound | naive sum "
          "(MiB) | naive / arena | first fit in order (MiB) | plan time (ms) |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        md.append(f"| {r['model']} | {r['tensors']} | {r['arena_bytes'] / mib:.2f} | "
                  f"{r['lower_bound'] / mib:.2f} | {r['arena_over_bound']:.3f} | "
                  f"{r['naive_bytes'] / mib:.2f} | {r['naive_over_arena']:.1f}× | "
                  f"{r['first_fit_bytes'] / mib:.2f} | {r['plan_ms']} |")
    md.append(f"\nTarget {env['target']}, {env['calibration_inputs']} random calibration "
              f"inputs, 64-byte alignment, batch 1; user I/O buffers are outside the arena. "
              f"numpy {env['numpy']}, {env['machine']}.")
    return "\n".join(md) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
