"""Segments, transfers and the text report of a placement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from npukit.program import Program

if TYPE_CHECKING:
    from npukit.partition.placement import Placement

BOUNDARY_KERNELS = ("Quantize", "Dequantize")


@dataclass(frozen=True)
class Segment:
    """A maximal run of records on one engine, in program order (``end`` exclusive)."""

    engine: str
    start: int
    end: int
    nodes: tuple[str, ...]

    @property
    def records(self) -> int:
        return self.end - self.start

    def to_json(self) -> dict[str, Any]:
        return {"engine": self.engine, "start": self.start, "end": self.end,
                "records": self.records, "nodes": list(self.nodes)}


def segments(program: Program) -> list[Segment]:
    """Maximal runs of same-engine records; Quantize/Dequantize records are CPU records."""
    out: list[Segment] = []
    start = 0
    recs = program.records
    for i in range(1, len(recs) + 1):
        if i == len(recs) or recs[i].engine != recs[start].engine:
            nodes = tuple(s for r in recs[start:i] for s in r.sources)
            out.append(Segment(recs[start].engine, start, i, nodes))
            start = i
    return out


def format_placement(p: Placement) -> str:
    """Which node runs where and why, then segments and boundary transfers."""
    c = p.counts()
    lines = [f"placement on {p.target}: {c['npu']} node(s) on the NPU, {c['cpu']} on the CPU"]
    width = max((len(n.node) for n in p.nodes), default=4)
    for n in p.nodes:
        lines.append(f"  {n.engine.upper():3}  {n.node:<{width}}  {n.op_type:<18} {n.reason}")
    segs = p.segments
    npu_segs = sum(s.engine == "npu" for s in segs)
    lines.append(f"segments: {len(segs)} ({npu_segs} NPU, {len(segs) - npu_segs} CPU)")
    for s in segs:
        names = ", ".join(n for n in s.nodes) or "(boundary conversions only)"
        lines.append(f"  #{s.start:<3} {s.engine.upper():3} {s.records} record(s): {names}")
    t = p.transfers
    lines.append(f"transfers: {t['quantize']} quantize (CPU→NPU), "
                 f"{t['dequantize']} dequantize (NPU→CPU)")
    return "\n".join(lines)
