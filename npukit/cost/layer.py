"""Time of one layer (or one fusion group): max(compute, memory) + fixed overhead.

NPU: compute cycles from :mod:`compute`, memory cycles from the bytes the
group moves (:mod:`memory`), plus ``npu.per_layer_overhead_cycles`` (setup,
synchronisation) for each group head; a layer fused into its producer's
pipeline shows its bytes but no time of its own.  CPU: float operations at
``cpu.gflops`` or the bytes at DRAM speed, whichever is slower, plus a
dispatch constant.  Cycles are always NPU clock cycles.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Collection, Sequence

from npukit.cost.compute import core_splits, cpu_seconds, npu_compute_cycles, utilisation
from npukit.cost.fuse import Fusion
from npukit.cost.layers import Layer
from npukit.cost.memory import (
    bytes_per_cycle,
    exceeds_buffer,
    memory_cycles,
    refetch_bytes,
    working_set,
)
from npukit.cost.params import CostConstants, CostOptions
from npukit.targets import TargetProfile


@dataclass
class LayerCost:
    """One row of a performance report (cycles are NPU clock cycles)."""

    name: str               # record / node name
    node: str               # the user's node name(s)
    op: str
    kind: str
    engine: str
    macs: int
    read_bytes: int
    write_bytes: int
    weight_bytes: int
    compute_cycles: float
    memory_cycles: float
    overhead_cycles: float
    cycles: float
    time_us: float
    bound: str              # compute | memory | overhead | fused | view | cpu
    utilisation: float
    working_set: int
    exceeds_buffer: bool
    fused_into: str = ""
    io: bool = False

    @property
    def dram_bytes(self) -> int:
        return self.read_bytes + self.write_bytes

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["dram_bytes"] = self.dram_bytes
        return d


def _traffic(layer: Layer, t: TargetProfile, skip: Collection[str]) -> tuple[int, int]:
    read = sum(b for n, b in zip(layer.inputs, layer.in_bytes) if n not in skip)
    read += layer.weight_bytes + refetch_bytes(layer, t)
    write = sum(b for n, b in zip(layer.outputs, layer.out_bytes) if n not in skip)
    return read, write


def _row(layer: Layer, t: TargetProfile, **kw: Any) -> LayerCost:
    base = dict(name=layer.name, node=layer.user_name, op=layer.op, kind=layer.kind,
                engine=layer.engine, macs=layer.macs, read_bytes=0, write_bytes=0,
                weight_bytes=layer.weight_bytes, compute_cycles=0.0, memory_cycles=0.0,
                overhead_cycles=0.0, cycles=0.0, time_us=0.0, bound="view", utilisation=0.0,
                working_set=working_set(layer), exceeds_buffer=exceeds_buffer(layer, t),
                io=layer.io)
    base.update(kw)
    row = LayerCost(**base)
    row.time_us = row.cycles / t.npu.clock_mhz
    return row


def view_row(layer: Layer, t: TargetProfile) -> LayerCost:
    """A shape-only layer (Reshape, Flatten …): no data moves, no time."""
    return _row(layer, t)


def cost_cpu(layer: Layer, t: TargetProfile, consts: CostConstants) -> LayerCost:
    """A float layer on the host CPU (also the quantize / dequantize conversions)."""
    read, write = _traffic(layer, t, ())
    clock = t.npu.clock_mhz * 1e6
    compute = cpu_seconds(layer, t) * clock
    memory = (read + write) / bytes_per_cycle(t)
    overhead = consts.cpu_op_overhead_us * t.npu.clock_mhz
    return _row(layer, t, read_bytes=read, write_bytes=write, compute_cycles=compute,
                memory_cycles=memory, overhead_cycles=overhead,
                cycles=max(compute, memory) + overhead, bound="cpu")


def cost_group(layers: Sequence[Layer], head: int, fusion: Fusion, t: TargetProfile,
               opts: CostOptions, consts: CostConstants,
               on_chip: Collection[str] = ()) -> list[tuple[int, LayerCost]]:
    """Rows for NPU group ``head`` and the layers fused into it (head first)."""
    skip = set(fusion.on_chip) | set(on_chip)
    members = fusion.members(head)
    lead = layers[head]
    if lead.kind == "view":
        return [(head, _row(lead, t))]
    rows: list[tuple[int, LayerCost]] = []
    total_bytes = 0
    for j in members:
        read, write = _traffic(layers[j], t, skip)
        total_bytes += read + write
        rows.append((j, _row(layers[j], t, read_bytes=read, write_bytes=write,
                             bound="fused", fused_into="" if j == head else lead.name)))
    full = npu_compute_cycles(lead, t)
    split, extra = min(core_splits(lead, t, opts.cores),
                       key=lambda s: max(full * s[0], memory_cycles(total_bytes + s[1], t)))
    compute, memory = full * split, memory_cycles(total_bytes + extra, t)
    rows[0][1].read_bytes += extra
    overhead = float(t.npu.per_layer_overhead_cycles)
    if opts.cores > 1:
        overhead += consts.core_sync_cycles
    cycles = max(compute, memory) + overhead
    bound = "compute" if compute >= memory else "memory"
    if overhead > max(compute, memory):
        bound = "overhead"
    head_row = rows[0][1]
    head_row.compute_cycles, head_row.memory_cycles = compute, memory
    head_row.overhead_cycles, head_row.cycles = overhead, cycles
    head_row.time_us, head_row.bound = cycles / t.npu.clock_mhz, bound
    macs = sum(layers[j].macs for j in members)
    head_row.utilisation = utilisation(macs, cycles, t, lead.dtype, opts.cores)
    return rows
