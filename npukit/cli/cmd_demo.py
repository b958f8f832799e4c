"""``npukit demo``: the main job on the embedded default model (see npukit/demo)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the whole flow on the embedded default model")
    p.add_argument("--model", help="an .onnx model instead of the embedded digit CNN")
    p.add_argument("--target", default="rk3588", help="target profile (default: rk3588)")
    p.add_argument("--out", default="out/demo", help="folder for the files the demo writes")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from npukit.analysis.demo import run_demo
    return run_demo(model=args.model, target=args.target, out=args.out, echo=print)
