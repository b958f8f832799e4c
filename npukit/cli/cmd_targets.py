"""``npukit targets [NAME]``: the built-in target profiles, or one in full.

``npukit targets`` prints one line per built-in target (compute, memory,
dtypes, peak TOPS computed from the profile); ``npukit targets NAME`` (or a
path to your own ``.toml``) prints every field with its provenance label.
``--json`` prints the same as JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

COLUMNS = ("name", "vendor", "cores", "clock MHz", "INT8 MAC/cyc", "peak TOPS", "CBUF KB",
           "SRAM KB", "DRAM GB/s", "dtypes")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("targets", help="list target NPUs, or show one profile in full")
    p.add_argument("target", nargs="?", metavar="NAME",
                   help="a built-in target name or a profile .toml path")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from npukit.targets import load_all, load_target
    if getattr(args, "target", None):
        prof = load_target(args.target)
        print(json.dumps(profile_json(prof), indent=2) if args.json else format_profile(prof))
        return 0
    rows = [summary(t) for t in load_all()]
    print(json.dumps(rows, indent=2) if args.json else format_table(rows))
    return 0


def summary(t: Any) -> dict[str, Any]:
    """One target's headline figures (what the table shows)."""
    return {
        "name": t.name, "vendor": t.vendor, "cores": t.npu.cores,
        "clock_mhz": t.npu.clock_mhz, "int8_macs_per_cycle": t.npu.macs_per_cycle["int8"],
        "peak_tops_int8": round(t.peak_tops_int8, 3),
        "conv_buffer_kb": t.npu.conv_buffer_kb, "sram_kb": t.npu.sram_kb,
        "dram_bandwidth_gbps": t.memory.dram_bandwidth_gbps,
        "activation_dtypes": list(t.numerics.activation_dtypes),
        "description": t.description,
    }


def profile_json(t: Any) -> dict[str, Any]:
    from npukit.targets.schema import to_dict
    data = to_dict(t)
    data["peak_tops"] = {d: round(t.npu.peak_tops(d), 4) for d in t.npu.macs_per_cycle}
    return data


def format_table(rows: list[dict[str, Any]]) -> str:
    cells = [[r["name"], r["vendor"], str(r["cores"]), f"{r['clock_mhz']:g}",
              str(r["int8_macs_per_cycle"]), f"{r['peak_tops_int8']:.3g}",
              str(r["conv_buffer_kb"]), str(r["sram_kb"]), f"{r['dram_bandwidth_gbps']:g}",
              "/".join(r["activation_dtypes"])] for r in rows]
    widths = [max(len(c[i]) for c in [list(COLUMNS), *cells]) for i in range(len(COLUMNS))]
    numeric = {2, 3, 4, 5, 6, 7, 8}

    def line(cs: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cs, widths))).rstrip()
    out = [line(list(COLUMNS)), line(["-" * w for w in widths])] + [line(c) for c in cells]
    out += ["", "peak TOPS = cores × INT8 MAC/cycle × 2 × clock.  "
            "`npukit targets NAME` shows a profile in full."]
    return "\n".join(out)


def _value(v: Any) -> str:
    if hasattr(v, "items"):
        return ", ".join(f"{k}={_value(x)}" for k, x in v.items()) or "{}"
    if isinstance(v, tuple):
        return ", ".join(v) or "[]"
    if isinstance(v, bool):
        return str(v).lower()
    return f"{v:g}" if isinstance(v, float) else str(v)


def format_profile(t: Any) -> str:
    """Every field of one profile, with the file's provenance label beside it."""
    peaks = ", ".join(f"{t.npu.peak_tops(d):.3g} {d}" for d in t.npu.macs_per_cycle)
    out = [f"{t.name} — {t.vendor}", f"  {t.description}", f"  vendor flow: {t.vendor_flow}",
           f"  file: {t.source_path}", f"  peak TOPS (computed): {peaks}"]
    for sec in ("npu", "memory", "numerics", "layout", "cpu", "ops"):
        spec = getattr(t, sec)
        out += ["", f"[{sec}]"]
        for f in dataclasses.fields(spec):
            if f.name == "provenance":
                continue
            value = _value(getattr(spec, f.name))
            if sec == "ops" and f.name.endswith("_max") and value == "0":
                value = "0 (no limit)"
            elif sec == "ops" and f.name == "supported" and value == "[]":
                value = "[] (every op not listed unsupported)"
            label = t.provenance(sec, f.name)
            out.append(f"  {f.name:<26} {value:<14}" + (f"  ({label})" if label else ""))
            if hasattr(getattr(spec, f.name), "items"):
                for k in getattr(spec, f.name):
                    sub = spec.provenance.get(f"{f.name}.{k}")
                    if sub:
                        out.append(f"  {'':<26}   {k}: {sub}")
    return "\n".join(out)
