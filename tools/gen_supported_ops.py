"""Write docs/supported-ops.md from the op registry, target profiles and constraints.

    python tools/gen_supported_ops.py           # rewrite the document
    python tools/gen_supported_ops.py --check   # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "supported-ops.md"


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    from npukit.targets.supported_ops import supported_ops_markdown

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="fail if the document is out of date")
    p.add_argument("-o", "--output", type=Path, default=DOC, help=f"default: {DOC}")
    args = p.parse_args(argv)
    text = supported_ops_markdown()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run python tools/gen_supported_ops.py",
                  file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
