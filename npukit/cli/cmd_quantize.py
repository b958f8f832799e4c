"""``npukit quantize MODEL.onnx --calib PATH``: post-training quantization and its decisions."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from npukit.cli.quant_args import add_quant_args, auto_mixed_from_args, quant_setup

if TYPE_CHECKING:
    from npukit.quant.algorithms.adaround import AdaRoundReport


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("quantize", help="quantize a model with calibration data")
    p.add_argument("model", help="an .onnx file")
    p.add_argument("--target", default="generic-int8", help="target profile (rounding mode)")
    add_quant_args(p)
    p.add_argument("--export-qdq", metavar="OUT.onnx",
                   help="write the quantized model as QDQ ONNX (ONNX Runtime, TensorRT, OpenVINO)")
    p.add_argument("--save-table", metavar="OUT.json", help="write every value's quant params")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--json", action="store_true", help="print the decisions as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from npukit.quant.quantizer import quantize
    from npukit.targets import load_target
    _check_outputs(args)
    target = load_target(args.target)
    model, cfg, ccfg = quant_setup(args, target.numerics.rounding)
    qm = quantize(model.graph, args.calib, cfg, calib_config=ccfg,
                  show_progress=not args.json and sys.stderr.isatty())
    if args.mixed == "auto":
        qm = auto_mixed_from_args(qm, args, ccfg)
    _write_outputs(qm, args)
    rows = qm.placement()
    if args.json:
        print(json.dumps({"target": target.name, "config": _cfg(cfg), "placement": rows,
                          "calibration_batches": qm.calibration.batches}, indent=2))
        return 0
    npu = sum(r["engine"] == "npu" for r in rows)
    print(f"quantized {model.source} for {target.name}: {cfg.activations} activations, "
          f"{cfg.weights} weights ({'per-channel' if cfg.per_channel else 'per-tensor'}), "
          f"{cfg.algo} ranges over {qm.calibration.batches} batch(es)")
    if qm.adaround is not None:
        print(_adaround_line(qm.adaround))
    rest = "" if npu == len(rows) else "; the rest in float:"
    print(f"{npu} of {len(rows)} nodes run as integer kernels{rest}")
    for r in rows:
        if r["engine"] != "npu":
            print(f"  {r['node']}: {r['reason']}")
    return 0


def _adaround_line(rep: AdaRoundReport) -> str:
    layers = list(rep.layers.values())
    if not layers:
        return "AdaRound: no layer to round (no integer Conv / Gemm / MatMul with constant weights)"
    near = sum(r.error_nearest for r in layers)
    ratio = sum(r.error for r in layers) / near if near else 1.0
    flipped = sum(r.flipped * r.weights for r in layers) / max(sum(r.weights for r in layers), 1)
    skipped = f" ({len(rep.skipped)} kept nearest: too few positions)" if rep.skipped else ""
    return (f"AdaRound: {len(layers)} layer(s){skipped} on {rep.samples} sample(s) in "
            f"{rep.seconds:.1f} s; {flipped:.0%} of weight codes differ from nearest "
            f"rounding; summed layer output error {ratio:.2f}× nearest's on the fitted "
            "positions")


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse before any work if an output exists (nothing a user has is overwritten)."""
    from pathlib import Path

    from npukit.errors import NpukitError
    for flag, path in (("--export-qdq", args.export_qdq), ("--save-table", args.save_table)):
        if path and Path(path).exists() and not args.force:
            raise NpukitError(f"{path} already exists", hint=f"pass --force to overwrite it "
                              f"(given with {flag})")


def _write_outputs(qm: object, args: argparse.Namespace) -> None:
    from pathlib import Path
    if args.export_qdq:
        from npukit.frontends.onnx import export_model
        from npukit.quant.qdq import to_qdq
        Path(args.export_qdq).write_bytes(export_model(to_qdq(qm.graph)).SerializeToString())
    if args.save_table:
        from npukit.quant.table import save_table, table_of
        save_table(table_of(qm.graph), args.save_table)


def _cfg(cfg: object) -> dict:
    from dataclasses import asdict
    d = asdict(cfg)  # type: ignore[call-overload]
    d["overrides"] = dict(d["overrides"])
    return d
