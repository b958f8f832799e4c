"""``npukit perf MODEL --target T``: estimated time, DRAM traffic and memory, per layer.

An ``.onnx`` model is imported, optimised and costed as if quantized (every
node an int8 NPU layer unless the target cannot run it); an ``.npk`` is costed
as compiled (its program, its memory plan).  Nothing runs: the estimate is
arithmetic over the layers (docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from npukit.errors import NpukitError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("perf", help="estimate per-layer time, FPS, DRAM traffic and memory "
                       "on a target, without the board")
    p.add_argument("model", help="an .onnx or .npk file")
    p.add_argument("--target", "-t", required=True, help="target name or profile .toml")
    p.add_argument("--compare", default="", metavar="T1,T2,…",
                   help="also estimate on these targets and compare")
    p.add_argument("--input-shape", action="append", default=[], metavar="NAME:D0,D1,…",
                   help="fix a dynamic input shape (repeatable; .onnx only)")
    p.add_argument("--dtype", default="int8", help="dtype of NPU layers of an .onnx "
                   "(int8, int16, fp16 …; default int8)")
    p.add_argument("--cores", type=int, default=1,
                   help="NPU cores one inference is split over (default 1)")
    p.add_argument("--sram", action="store_true",
                   help="keep feature maps that fit in the NPU's SRAM on chip")
    p.add_argument("--top", type=int, default=None, help="show only the N slowest layers")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--csv", metavar="OUT", help="write the per-layer rows to a CSV file")
    p.add_argument("--chart", metavar="OUT", help="write a time-per-layer chart "
                   "(.html with inline SVG, .svg or .png)")
    p.add_argument("--force", action="store_true",
                   help="cost an .npk on a target other than the one it was compiled for")
    p.set_defaults(run=run)


def load_model(path: str, input_shapes: dict[str, list[int]]) -> tuple[Any, dict[str, Any]]:
    """``(Graph or Program, info)`` for an .onnx or .npk file."""
    p = Path(path)
    if not p.exists():
        raise NpukitError(f"model {path!r} does not exist")
    if p.suffix.lower() == ".npk":
        return _load_npk(p)
    from npukit.frontends.onnx import import_model
    from npukit.passes import optimize
    g = import_model(p, input_shapes=input_shapes or None)
    dynamic = [f"{n} {list(g.values[n].shape or [])}" for n in g.inputs
               if not g.values[n].is_static]
    if dynamic:
        first = dynamic[0].split(" ")[0]
        raise NpukitError(f"{p.name}: input {', '.join(dynamic)} has a dynamic shape; an "
                          "estimate needs static shapes",
                          hint=f"fix it with --input-shape {first}:1,3,224,224 (your sizes)")
    opt, _ = optimize(g)
    return opt, {"kind": "onnx", "name": p.stem}


def _load_npk(p: Path) -> tuple[Any, dict[str, Any]]:
    from npukit.npk import read_npk
    from npukit.program import Program
    from npukit.program.packing import unpack
    npk = read_npk(p)
    m = npk.manifest
    info: dict[str, Any] = {"kind": "npk", "name": p.stem, "target": m.get("target")}
    if "program" in m:
        return Program.from_json(m["program"], dict(npk.tensors)), info
    programs, model = m.get("programs"), m.get("model")
    if not isinstance(programs, dict) or not isinstance(model, dict):
        raise NpukitError(f"{p}: the .npk holds no compiled program (no 'program' or "
                          "'programs' section)", hint="re-create it with `npukit convert`")
    entry = programs[model.get("default_shape") or next(iter(programs))]
    packing = m.get("packing", {})
    tensors = {}
    for name, stored in entry.get("tensors", {}).items():
        arr = npk.tensors[stored]
        tensors[name] = unpack(arr, packing[stored]) if stored in packing else arr
    info["plan"] = entry.get("memory_plan")
    info["shape"] = model.get("default_shape")
    return Program.from_json(entry["program"], tensors), info


def _targets(args: argparse.Namespace) -> list[str]:
    names = [args.target] + [t.strip() for t in args.compare.split(",") if t.strip()]
    return list(dict.fromkeys(names))


def estimate_all(args: argparse.Namespace) -> list[Any]:
    """One :class:`PerfReport` per target (``--target`` first, then ``--compare``)."""
    from npukit.cli.common import parse_input_shapes
    from npukit.cost import CostOptions, estimate
    from npukit.targets import load_target
    from npukit.targets.schema import DTYPES
    if args.dtype not in DTYPES:
        raise NpukitError(f"--dtype {args.dtype!r} is not a dtype npukit knows",
                          hint=f"use one of {', '.join(DTYPES)}")
    if args.cores < 1:
        raise NpukitError(f"--cores {args.cores}: at least one core runs the model")
    model, info = load_model(args.model, parse_input_shapes(args.input_shape))
    reports = []
    for name in _targets(args):
        t = load_target(name)
        compiled = info.get("target")
        if compiled and compiled != t.name and not args.force:
            raise NpukitError(f"{args.model} was compiled for {compiled!r}, not {t.name!r}",
                              hint=f"use --target {compiled}, recompile for {t.name}, or "
                              "pass --force to cost the same program on it")
        opts = CostOptions(cores=min(args.cores, t.npu.cores), npu_dtype=args.dtype,
                           use_sram=args.sram)
        rep = estimate(model, t, options=opts, plan=info.get("plan"), name=info["name"])
        rep.conditions["source"] = (f"compiled .npk for {compiled}" if info["kind"] == "npk"
                                    else f"float .onnx costed as {args.dtype} NPU layers")
        reports.append(rep)
    return reports


def compare_table(reports: list[Any]) -> str:
    """One line per target: latency, FPS, throughput, utilisation, traffic, memory."""
    from npukit.cost.report import human
    lines = [f"{'target':<14} {'ms':>8} {'FPS':>8} {'thru FPS':>9} {'bound':<6} {'util':>5} "
             f"{'DRAM/inf':>9} {'weights':>8} {'acts':>7} {'runtime':>7} {'CPU lay':>7} "
             f"{'>buf':>5}"]
    for r in reports:
        t, m = r.totals, r.memory
        lines.append(f"{r.target:<14} {t['inference_ms']:8.3f} {t['fps']:8.1f} "
                     f"{t['throughput_fps']:9.1f} {t['throughput_bound_by']:<6} "
                     f"{100 * t['utilisation']:4.0f}% {human(t['dram_bytes']) + 'B':>9} "
                     f"{human(m['weight_bytes']) + 'B':>8} {human(m['activation_bytes']) + 'B':>7}"
                     f" {human(m['runtime_bytes']) + 'B':>7} {t['cpu_layers']:>7} "
                     f"{len(m['over_buffer']):>5}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    reports = estimate_all(args)
    if args.csv:
        text = "".join(r.to_csv() if i == 0 else r.to_csv().split("\n", 1)[1]
                       for i, r in enumerate(reports)) if len(reports) == 1 else _csv_all(reports)
        Path(args.csv).write_text(text, encoding="utf-8")
    if args.chart:
        from npukit.cost.chart import write_chart
        write_chart(reports, args.chart)
    if args.json:
        data = reports[0].to_json() if len(reports) == 1 else {
            "model": reports[0].model, "reports": [r.to_json() for r in reports]}
        print(json.dumps(data, indent=2))
        return 0
    for r in reports[:1]:
        print(r.format(top=args.top))
    if len(reports) > 1:
        print(f"\n{reports[0].model} across targets (inference = NPU + CPU + handoffs; "
              f"{reports[0].conditions['latency_cores']} core(s) for latency, all for "
              "throughput)")
        print(compare_table(reports))
    for path in (args.csv, args.chart):
        if path:
            print(f"wrote {path}")
    return 0


def _csv_all(reports: list[Any]) -> str:
    out = []
    for i, r in enumerate(reports):
        head, _, body = r.to_csv().partition("\n")
        if i == 0:
            out.append("target," + head + "\n")
        out.extend(f"{r.target},{line}\n" for line in body.splitlines())
    return "".join(out)
