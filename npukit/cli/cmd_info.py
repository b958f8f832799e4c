"""``npukit info MODEL``: inputs/outputs, op histogram, parameters, MACs."""

from __future__ import annotations

import argparse
import json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="describe a model (.onnx) or a compiled model (.npk)")
    p.add_argument("model", help="an .onnx or .npk file")
    p.add_argument("--key", help="key for an encrypted .npk: a file, file:PATH or env:NAME")
    p.add_argument("--input-shape", action="append", default=[], metavar="NAME:D0,D1,…",
                   help="fix a dynamic input shape (repeatable)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if str(args.model).endswith(".npk"):
        from npukit.analysis.npk_info import describe_npk, format_npk_info
        from npukit.npk import load_key
        key = load_key(args.key) if args.key else None
        info = describe_npk(args.model, key=key)
        print(json.dumps(info, indent=2) if args.json else format_npk_info(info))
        return 0
    from npukit.analysis.model_info import describe, format_info
    from npukit.cli.common import parse_input_shapes
    info = describe(args.model, input_shapes=parse_input_shapes(args.input_shape))
    print(json.dumps(info, indent=2) if args.json else format_info(info))
    return 0
