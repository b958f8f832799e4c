"""``npukit quantize MODEL.onnx --calib PATH``: post-training quantization and its decisions."""

from __future__ import annotations

import argparse
import json
import sys

from npukit.cli.quant_args import add_quant_args, quant_setup


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("quantize", help="quantize a model with calibration data")
    p.add_argument("model", help="an .onnx file")
    p.add_argument("--target", default="generic-int8", help="target profile (rounding mode)")
    add_quant_args(p)
    p.add_argument("--json", action="store_true", help="print the decisions as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from npukit.quant.quantizer import quantize
    from npukit.targets import load_target
    target = load_target(args.target)
    model, cfg, ccfg = quant_setup(args, target.numerics.rounding)
    qm = quantize(model.graph, args.calib, cfg, calib_config=ccfg,
                  show_progress=not args.json and sys.stderr.isatty())
    rows = qm.placement()
    if args.json:
        print(json.dumps({"target": target.name, "config": _cfg(cfg), "placement": rows,
                          "calibration_batches": qm.calibration.batches}, indent=2))
        return 0
    npu = sum(r["engine"] == "npu" for r in rows)
    print(f"quantized {model.source} for {target.name}: {cfg.activations} activations, "
          f"{cfg.weights} weights ({'per-channel' if cfg.per_channel else 'per-tensor'}), "
          f"{cfg.algo} ranges over {qm.calibration.batches} batch(es)")
    print(f"{npu} of {len(rows)} nodes run as integer kernels; the rest in float:")
    for r in rows:
        if r["engine"] != "npu":
            print(f"  {r['node']}: {r['reason']}")
    return 0


def _cfg(cfg: object) -> dict:
    from dataclasses import asdict
    d = asdict(cfg)  # type: ignore[call-overload]
    d["overrides"] = dict(d["overrides"])
    return d
