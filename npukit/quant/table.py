"""Quantization tables: every value's params as JSON, to save, inspect, edit or
bring from another tool (a user's quantizer, QAT), and to apply to a graph.

    {"format": "npukit-quant-table", "version": 1,
     "values": {"conv1_out": {"dtype": "int8", "scale": [0.02], "zero_point": [-3],
                              "axis": null}, …}}
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

from npukit.errors import NpukitError
from npukit.ir import Graph, QuantParams

FORMAT = "npukit-quant-table"


def table_of(g: Graph) -> dict[str, QuantParams]:
    return {k: v.quant for k, v in g.values.items() if v.quant is not None}


def save_table(table: Mapping[str, QuantParams], path: str | os.PathLike) -> Path:
    p = Path(path)
    doc = {"format": FORMAT, "version": 1,
           "values": {k: q.to_json() for k, q in sorted(table.items())}}
    p.write_text(json.dumps(doc, indent=1) + "\n")
    return p


def load_table(path: str | os.PathLike) -> dict[str, QuantParams]:
    p = Path(path)
    try:
        doc: Any = json.loads(p.read_text())
    except (OSError, ValueError) as e:
        raise NpukitError(f"cannot read quantization table {str(p)!r}: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise NpukitError(f"{str(p)!r} is not an npukit quantization table "
                          f"(expected \"format\": \"{FORMAT}\")")
    out: dict[str, QuantParams] = {}
    for name, d in doc.get("values", {}).items():
        try:
            out[name] = QuantParams.from_json(d)
        except (KeyError, TypeError, ValueError) as e:
            raise NpukitError(f"{str(p)!r}: bad params for value {name!r}: {e}") from None
    return out


def apply_table(g: Graph, table: Mapping[str, QuantParams]) -> None:
    """Set the params of every value named in ``table`` (in place)."""
    unknown = sorted(k for k in table if k not in g.values)
    if unknown:
        raise NpukitError(f"the quantization table names value(s) {unknown[:5]} that model "
                          f"{g.name!r} does not have" + (" …" if len(unknown) > 5 else ""))
    for name, q in table.items():
        g.values[name].quant = q
