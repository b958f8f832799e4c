"""``npukit`` entry point: one sub-command module per verb, registered below."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Callable, Sequence

from npukit import __version__
from npukit.errors import NpukitError

Command = Callable[[argparse.Namespace], int]


def _verbs() -> list:
    from npukit.cli import (
        cmd_analyze,
        cmd_convert,
        cmd_demo,
        cmd_info,
        cmd_perf,
        cmd_quantize,
        cmd_run,
        cmd_targets,
    )
    return [cmd_demo, cmd_info, cmd_quantize, cmd_analyze, cmd_convert, cmd_run, cmd_perf,
            cmd_targets]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="npukit", description="Deploy neural networks to edge NPUs.")
    p.add_argument("--version", action="version", version=f"npukit {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log what each stage does")
    sub = p.add_subparsers(dest="verb", metavar="COMMAND")
    for mod in _verbs():
        mod.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except NpukitError as e:
        print(f"npukit {args.verb}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("npukit: interrupted", file=sys.stderr)
        return 130
