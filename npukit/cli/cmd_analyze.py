"""``npukit analyze MODEL.onnx --calib PATH --inputs PATH``: per-layer accuracy report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from npukit.cli.quant_args import add_quant_args, quant_setup


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="per-layer accuracy of the quantized model vs float")
    p.add_argument("model", help="an .onnx file")
    p.add_argument("--target", default="generic-int8", help="target profile (rounding mode)")
    add_quant_args(p)
    p.add_argument("--inputs", required=True, metavar="PATH",
                   help="evaluation inputs (same formats as --calib)")
    p.add_argument("--eval-limit", type=int, default=None, help="use at most N inputs")
    p.add_argument("--json", metavar="OUT", help="write the report as JSON to OUT")
    p.add_argument("--report", metavar="DIR", help="write an HTML report with a plot to DIR")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from npukit.analysis.accuracy import analyze
    from npukit.analysis.report_html import write_html
    from npukit.errors import NpukitError
    from npukit.quant.calib_data import CalibrationSource
    from npukit.quant.quantizer import quantize
    from npukit.targets import load_target
    target = load_target(args.target)
    if args.mixed == "auto":
        raise NpukitError("--mixed auto runs in `npukit quantize` (it needs a budget and "
                          "analysis inputs)", hint="save the result with --save-table, or "
                          "give --mixed an override file here")
    model, cfg, ccfg = quant_setup(args, target.numerics.rounding)
    qm = quantize(model.graph, args.calib, cfg, calib_config=ccfg,
                  show_progress=sys.stderr.isatty())
    evals = CalibrationSource(args.inputs, qm.float_graph, replace(ccfg, limit=args.eval_limit))
    report = analyze(qm, evals)
    print(report.format())
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_json(), indent=2) + "\n")
        print(f"wrote {args.json}")
    if args.report:
        path = write_html(report, Path(args.report), title=f"{Path(args.model).name} on "
                          f"{target.name}")
        print(f"wrote {path}")
    return 0
