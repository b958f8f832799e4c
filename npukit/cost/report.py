"""The performance report: rows per layer, handoffs, totals, memory, conditions.

``format()`` is the text table the CLI prints, ``to_json()`` the same data
as plain JSON, ``to_csv()`` one line per layer.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from typing import Any

from npukit.cost.layer import LayerCost

CSV_FIELDS = ("name", "node", "op", "kind", "engine", "macs", "read_bytes", "write_bytes",
              "weight_bytes", "compute_cycles", "memory_cycles", "overhead_cycles", "cycles",
              "time_us", "bound", "utilisation", "working_set", "exceeds_buffer", "fused_into")


@dataclass
class Boundary:
    """A value handed from one engine to the other (NPU↔CPU)."""

    value: str
    direction: str          # "npu→cpu" or "cpu→npu"
    nbytes: int
    cycles: float
    time_us: float
    io: bool = False


@dataclass
class PerfReport:
    """Estimated time and memory of one model on one target."""

    model: str
    target: str
    rows: list[LayerCost]
    boundaries: list[Boundary] = field(default_factory=list)
    launches: int = 0
    launch_cycles: float = 0.0
    totals: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "target": self.target, "totals": self.totals,
                "memory": self.memory, "conditions": self.conditions,
                "layers": [r.to_json() for r in self.rows],
                "boundaries": [asdict(b) for b in self.boundaries],
                "launches": self.launches, "notes": self.notes}

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(CSV_FIELDS)
        for r in self.rows:
            d = r.to_json()
            w.writerow([_cell(d[k]) for k in CSV_FIELDS])
        return buf.getvalue()

    def format(self, top: int | None = None) -> str:
        """Text report: conditions, per-layer table (``top`` slowest, or all), totals, memory."""
        lines = [f"model   {self.model}   target {self.target}", _conditions(self.conditions)]
        rows = [r for r in self.rows if r.bound != "view"]
        if top is not None:
            keep = {id(r) for r in sorted(rows, key=lambda r: -r.cycles)[:top]}
            rows = [r for r in rows if id(r) in keep]
            lines.append(f"\n{top} slowest layers of {len(self.rows)}")
        lines.append("")
        lines.append(f"{'node':<32} {'op':<13} {'eng':<3} {'MACs':>7} {'DRAM B':>7} "
                     f"{'µs':>8} {'bound':<9} {'util':>5}")
        for r in rows:
            flag = " *" if r.exceeds_buffer else ""
            bound = f"→{r.fused_into}"[:9] if r.fused_into else r.bound
            lines.append(f"{r.node[:32]:<32} {r.op[:13]:<13} {r.engine:<3} {human(r.macs):>7} "
                         f"{human(r.dram_bytes):>7} {r.time_us:8.1f} {bound:<9} "
                         f"{100 * r.utilisation:4.0f}%{flag}")
        for b in self.boundaries:
            lines.append(f"{'⇄ ' + b.value[:30]:<32} {'handoff':<13} {b.direction:<3} {'':>7} "
                         f"{human(b.nbytes):>7} {b.time_us:8.1f} {'transfer':<9}")
        lines.append("")
        lines.extend(_totals(self.totals))
        lines.extend(_memory(self.memory))
        if any(r.exceeds_buffer for r in self.rows):
            lines.append("  * input + weights exceed the conv buffer: the layer tiles "
                         "(and re-fetches when no split fits)")
        for key, text in self.notes.items():
            lines.append(f"\n{key}: {text}")
        return "\n".join(lines)


def _cell(v: Any) -> Any:
    return f"{v:.6g}" if isinstance(v, float) else v


def human(n: float) -> str:
    """3 significant digits with a K/M/G suffix."""
    for unit in ("", "K", "M", "G", "T"):
        if abs(n) < 1000:
            return f"{n:.3g}{unit}"
        n /= 1000
    return f"{n:.3g}P"


def _conditions(c: dict[str, Any]) -> str:
    return (f"assumes NPU {c['npu_clock_mhz']:.0f} MHz, {c['latency_cores']} core(s) per "
            f"inference ({c['throughput_cores']} for throughput), {'/'.join(c['npu_dtypes'])}, "
            f"DRAM {c['dram_gbps']:g} GB/s × {c['dram_efficiency']:.2f} achieved, "
            f"CPU {c['cpu_gflops']:g} GFLOP/s, SRAM {'on' if c['use_sram'] else 'off'}\n"
            f"timed   {c['timed']}")


def _totals(t: dict[str, Any]) -> list[str]:
    return [
        f"inference {t['inference_ms']:.3f} ms ({t['fps']:.1f} FPS)   latency with I/O "
        f"conversion {t['latency_ms']:.3f} ms   throughput {t['throughput_fps']:.1f} FPS "
        f"(bound by {t['throughput_bound_by']})",
        f"NPU {t['npu_ms']:.3f} ms ({t['npu_layers']} layers, {t['memory_bound_layers']} "
        f"memory-bound, MAC utilisation {100 * t['utilisation']:.0f} %)   CPU "
        f"{t['cpu_ms']:.3f} ms ({t['cpu_layers']} layers)   handoffs {t['handoff_ms']:.3f} ms"
        f"   launches {t['launch_ms']:.3f} ms",
        f"MACs {human(t['macs'])}   DRAM traffic {human(t['dram_bytes'])}B per inference",
    ]


def _memory(m: dict[str, Any]) -> list[str]:
    if not m:
        return []
    return [
        f"memory  weights {human(m['weight_bytes'])}B   activations "
        f"{human(m['activation_bytes'])}B ({m['activation_source']})   runtime "
        f"{human(m['runtime_bytes'])}B   total {human(m['total_bytes'])}B",
        f"on chip conv buffer {human(m['conv_buffer_bytes'])}B, peak use "
        f"{human(m['conv_buffer_peak_use'])}B; {len(m['over_buffer'])} layer(s) over it",
    ]
