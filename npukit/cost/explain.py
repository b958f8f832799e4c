"""The estimator explains itself, from its own per-layer numbers.

``memory_bound(report)`` names the layers DRAM traffic limits and why
(bytes per MAC); ``by_kind(report)`` splits time and MAC utilisation by
layer kind; ``utilisation_gap(a, b)`` says why one model uses the array
less than another.  Every figure in the text comes from the reports.
"""

from __future__ import annotations

from typing import Any

from npukit.cost.compute import macs_per_cycle
from npukit.cost.report import PerfReport, human
from npukit.targets import TargetProfile, load_target


def by_kind(rep: PerfReport, t: TargetProfile | None = None) -> dict[str, dict[str, Any]]:
    """Per layer kind: layers, time (ms), share of NPU time, MACs, MAC utilisation."""
    t = t or load_target(rep.target)
    cores = int(rep.conditions.get("latency_cores", 1))
    dtype = (rep.conditions.get("npu_dtypes") or ["int8"])[0]
    peak = macs_per_cycle(t, dtype) * cores
    npu = [r for r in rep.rows if r.engine == "npu" and r.bound not in ("view",)]
    total = sum(r.cycles for r in npu) or 1.0
    out: dict[str, dict[str, Any]] = {}
    for r in npu:
        kind = out.setdefault(r.kind, {"layers": 0, "cycles": 0.0, "macs": 0})
        kind["layers"] += r.fused_into == ""
        kind["cycles"] += r.cycles
        kind["macs"] += r.macs
    for kind in out.values():
        kind["time_ms"] = kind["cycles"] / t.npu.clock_mhz / 1e3
        kind["share"] = kind["cycles"] / total
        kind["utilisation"] = kind["macs"] / (kind["cycles"] * peak) if kind["cycles"] else 0.0
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["cycles"]))


def memory_bound(rep: PerfReport, top: int = 8) -> str:
    """Which layers DRAM limits, slowest first, with their bytes per MAC."""
    rows = sorted((r for r in rep.rows if r.bound == "memory"), key=lambda r: -r.cycles)
    near = sorted((r for r in rep.rows if r.bound == "compute" and r.compute_cycles),
                  key=lambda r: -r.memory_cycles / r.compute_cycles)[:3]
    tail = ("; nearest to it among compute-bound layers: " + ", ".join(
        f"{r.node} ({r.op}, memory {100 * r.memory_cycles / r.compute_cycles:.0f} % of compute)"
        for r in near)) if near else ""
    if not rows:
        return f"no layer of {rep.model} is memory-bound on {rep.target}{tail}"
    share = sum(r.cycles for r in rows) / max(sum(r.cycles for r in rep.rows), 1.0)
    lines = [f"{len(rows)} layer(s) of {rep.model} on {rep.target} are memory-bound "
             f"({100 * share:.0f} % of the time):"]
    for r in rows[:top]:
        per_mac = r.dram_bytes / r.macs if r.macs else float("inf")
        what = "weights" if r.weight_bytes > r.dram_bytes / 2 else "feature maps"
        lines.append(f"  {r.node} ({r.op}): {human(r.dram_bytes)}B moved, mostly {what}, "
                     f"for {human(r.macs)} MACs ({per_mac:.2f} B/MAC); memory "
                     f"{r.memory_cycles / 1e3:.1f}k cycles vs compute "
                     f"{r.compute_cycles / 1e3:.1f}k")
    return "\n".join(lines) + tail


def utilisation_gap(low: PerfReport, high: PerfReport) -> str:
    """Why ``low`` uses the MAC array less than ``high`` (same target), per kind."""
    parts = []
    for rep in (low, high):
        kinds = by_kind(rep)
        top = ", ".join(f"{k} {100 * v['share']:.0f} % of NPU time at "
                        f"{100 * v['utilisation']:.1f} % utilisation "
                        f"({human(v['macs'])} MACs)" for k, v in list(kinds.items())[:3])
        parts.append(f"{rep.model}: {100 * rep.totals['utilisation']:.0f} % overall; {top}")
    lk, hk = by_kind(low), by_kind(high)
    peak = low.totals["macs"] / max(low.totals["utilisation"], 1e-9) / max(
        sum(v["cycles"] for v in lk.values()), 1.0)     # MACs per cycle at 100 %
    worst = max(lk, key=lambda k: lk[k]["cycles"] - lk[k]["macs"] / peak)
    w = lk[worst]
    t = load_target(low.target)
    reason = {
        "depthwise": (f"a depthwise layer gives each output channel one input channel, so "
                      f"only the array's diagonal works: {t.npu.atomic_c} of "
                      f"{t.npu.macs_per_cycle['int8']} MACs per cycle"),
        "gemm": "a batch-1 fully-connected layer reads every weight for one MAC each",
        "conv": "channel counts that do not fill the array's atoms waste MACs",
    }.get(worst, "its layers are small")
    ratio = w["macs"] / max(low.totals["macs"], 1)
    parts.append(
        f"In {low.model}, {worst} layers hold {100 * ratio:.0f} % of the MACs but take "
        f"{100 * w['share']:.0f} % of the NPU time at {100 * w['utilisation']:.1f} % "
        f"utilisation: {reason}.  {high.model}'s time is "
        f"{100 * max(v['share'] for v in hk.values()):.0f} % in its leading kind at "
        f"{100 * next(iter(hk.values()))['utilisation']:.0f} %.")
    return "\n".join(parts)
