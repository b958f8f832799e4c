"""``npukit convert MODEL.onnx --target T --calib PATH -o OUT.npk``: quantize, place, compile.

The placement report (which node runs where and why, segments, transfers)
is printed before anything is written; an existing output needs ``--force``.
``--aipp FILE`` (ATC ``insert_op_conf`` text or TOML) compiles the camera
preprocessing in: the model input becomes the raw frame and the calibration
photos go through the same AIPP (docs/aipp.md §8).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from npukit.cli.quant_args import _floats, add_quant_args, auto_mixed_from_args, quant_setup
from npukit.errors import NpukitError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("convert", help="quantize and compile a model into an .npk file")
    p.add_argument("model", help="an .onnx file")
    p.add_argument("--target", required=True, help="target profile name or .toml path")
    add_quant_args(p)
    p.add_argument("--cpu", nargs="+", action="extend", default=[], metavar="NODE",
                   help="force these node names or op types onto the CPU")
    p.add_argument("--npu", nargs="+", action="extend", default=[], metavar="NODE",
                   help="force these node names or op types onto the NPU")
    p.add_argument("--shapes", action="append", default=[], metavar="NAME:D0,D1,…;…",
                   help="compile these input shapes (one program each; a repeated input "
                   "name starts a new shape), e.g. image:1,1,28,28;image:2,1,28,28")
    p.add_argument("--aipp", metavar="FILE", help="AIPP config (ATC insert_op_conf text, or "
                   ".toml): the input takes raw camera frames (e.g. NV12) and the calibration "
                   "images go through the same AIPP")
    p.add_argument("--key", metavar="FILE", help="encrypt with this AES-256 key file")
    p.add_argument("--force", action="store_true", help="overwrite an existing output")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("-o", "--output", required=True, metavar="OUT.npk", help="file to write")
    p.set_defaults(run=run)


def parse_shapes(specs: list[str]) -> list[dict[str, list[int]]]:
    """``["a:1,3;a:2,3"]`` → ``[{"a": [1, 3]}, {"a": [2, 3]}]``."""
    out: list[dict[str, list[int]]] = []
    for spec in specs:
        current: dict[str, list[int]] = {}
        for item in filter(None, (s.strip() for s in spec.split(";"))):
            name, sep, dims = item.rpartition(":")
            try:
                if not sep or not name:
                    raise ValueError
                shape = [int(d) for d in dims.split(",")]
            except ValueError:
                raise NpukitError(f"--shapes item {item!r} is not NAME:D0,D1,…",
                                  hint="for example --shapes image:1,3,224,224") from None
            if name in current:
                out.append(current)
                current = {}
            current[name] = shape
        if current:
            out.append(current)
    return out


def run(args: argparse.Namespace) -> int:
    from npukit.compiler import compile_model
    from npukit.targets import load_target
    out = Path(args.output)
    if out.exists() and not args.force:
        raise NpukitError(f"{out} already exists", hint="pass --force to overwrite it")
    target = load_target(args.target)
    shapes = parse_shapes(args.shapes) or None
    if shapes and not args.input_shape:      # calibrate at the first compiled shape
        args.input_shape = [f"{n}:{','.join(map(str, d))}" for n, d in shapes[0].items()]
    model, cfg, ccfg = quant_setup(args, target.numerics.rounding)
    stages = _aipp(args, model.graph)
    if args.mixed == "auto" and stages:
        raise NpukitError("--mixed auto with --aipp is not supported yet (the analysis "
                          "inputs would have to pass through the AIPP too)",
                          hint="run `npukit quantize --mixed auto` on the model without "
                               "AIPP and give convert the resulting precisions as a "
                               "--mixed override file")
    qm = _quantize(args, model.graph, stages, cfg, ccfg)
    if args.mixed == "auto":
        qm = auto_mixed_from_args(qm, args, ccfg)
    pre = {"mean": _floats(args.mean, "--mean"), "std": _floats(args.std, "--std"),
           "color": args.color, "layout": args.layout}

    def show(placement: Any) -> None:
        if not args.json:
            print(placement.format(), flush=True)

    res = compile_model(qm, target, out, cpu=args.cpu, npu=args.npu, shapes=shapes,
                        key=args.key, force=args.force, preprocess=pre, on_placement=show,
                        aipp=stages or None)
    summary = {**_summary(res, model.source), "encrypted": args.key is not None,
               "aipp": _aipp_summary(res, stages)}
    if args.json:
        print(json.dumps({**summary, "placement": res.placement.to_json()}, indent=2))
    else:
        print(_format(summary))
    return 0


def _quantize(args: argparse.Namespace, graph: Any, stages: dict[str, Any], cfg: Any,
              ccfg: Any) -> Any:
    """Quantize; with AIPP, calibrating through it (docs/aipp.md §8)."""
    bar = not args.json and sys.stderr.isatty()
    if stages:
        from npukit.compiler.aipp_calib import quantize_through_aipp
        return quantize_through_aipp(graph, stages, args.calib, cfg, calib_config=ccfg,
                                     show_progress=bar)
    from npukit.quant.quantizer import quantize
    return quantize(graph, args.calib, cfg, calib_config=ccfg, show_progress=bar)


def _aipp(args: argparse.Namespace, graph: Any) -> dict[str, Any]:
    """The checked AIPP stages of ``--aipp`` (none without it)."""
    if not args.aipp:
        return {}
    from npukit.compiler.aipp import aipp_stages
    stages = aipp_stages(graph, args.aipp, layout=args.layout)
    static = [n for n, s in stages.items() if not s.cfg.dynamic]
    if static and (args.mean != "0" or args.std != "1" or args.color != "RGB"):
        raise NpukitError(f"--mean / --std / --color do not apply to input(s) {static}: "
                          "their static AIPP config normalises the frame",
                          hint="set mean_chn_i / var_reci_chn_i and model_format in the "
                               "AIPP file instead")
    return stages


def _aipp_summary(res: Any, stages: dict[str, Any]) -> dict[str, Any]:
    entries = res.manifest.get("aipp", {}).get("inputs", {})
    return {n: {"summary": s.summary(), "fold_exact": entries[n]["fold_exact"],
                "params_input": entries[n]["params_input"],
                "frame": list(s.input_spec().shape)} for n, s in stages.items()}


def _summary(res: Any, source: str) -> dict[str, Any]:
    return {"model": source, "output": str(res.path), "target": res.target,
            "bytes": res.file_bytes, "seconds": round(res.seconds, 3),
            "shapes": {k: {"arena_bytes": p.arena_bytes, "lower_bound": p.lower_bound,
                           "naive_bytes": p.naive_bytes,
                           "records": len(res.programs[k].records)}
                       for k, p in res.plans.items()}}


def _format(s: dict[str, Any]) -> str:
    lines = [f"wrote {s['output']} ({s['bytes']} bytes) for {s['target']}"]
    for k, v in s["shapes"].items():
        lines.append(f"  {k}: {v['records']} records, activation arena {v['arena_bytes']} B "
                     f"(lower bound {v['lower_bound']} B, naive {v['naive_bytes']} B)")
    for name, a in s["aipp"].items():
        fold = {True: "exact", False: "within one code", None: "set per run"}[a["fold_exact"]]
        extra = f"; parameters per run: input {a['params_input']!r} or Runtime.set_aipp" \
            if a["params_input"] else ""
        lines.append(f"  AIPP on {name!r}: takes uint8{a['frame']} frames; normalisation "
                     f"folded into the input quantization ({fold}){extra}")
        lines += ["    " + line for line in a["summary"].splitlines()]
    return "\n".join(lines)
