"""A whole model: rows per layer, NPU↔CPU handoffs, launches, totals, memory, conditions.

Latency is the sum of layer times in program order (the NPU runs one layer
at a time; CPU layers and handoffs sit between NPU segments) on
``options.cores`` cores.  Throughput runs one inference per core at the
single-core latency, capped by DRAM bandwidth and by the serial CPU work.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from npukit.cost.compute import macs_per_cycle
from npukit.cost.fuse import find_fusions
from npukit.cost.layer import LayerCost, cost_cpu, cost_group, view_row
from npukit.cost.layers import Layer
from npukit.cost.memory import bytes_per_cycle, peak_activation, plan_arena
from npukit.cost.params import DEFAULT_CONSTANTS, CostConstants, CostOptions
from npukit.cost.report import Boundary, PerfReport
from npukit.targets import TargetProfile


def cost_rows(layers: Sequence[Layer], t: TargetProfile, opts: CostOptions,
              consts: CostConstants, outputs: Sequence[str] = ()) -> list[LayerCost]:
    """One row per layer, in order (fused layers carry no time of their own)."""
    fusion = find_fusions(layers, outputs, opts.fuse)
    sram = _sram_resident(layers, t) if opts.use_sram else set()
    rows: dict[int, LayerCost] = {}
    for i, layer in enumerate(layers):
        if layer.kind == "view":
            rows[i] = view_row(layer, t)
        elif layer.engine != "npu":
            rows[i] = cost_cpu(layer, t, consts)
        elif fusion.anchor[i] == i:
            rows.update(cost_group(layers, i, fusion, t, opts, consts, sram))
    return [rows[i] for i in range(len(layers))]


def _sram_resident(layers: Sequence[Layer], t: TargetProfile) -> set[str]:
    """NPU values small enough to live in the assignable SRAM (each on its own)."""
    budget = t.npu.sram_kb * 1024 // 2
    return {n for layer in layers if layer.engine == "npu"
            for n, b in zip(layer.outputs, layer.out_bytes) if b <= budget}


def boundaries(layers: Sequence[Layer], t: TargetProfile,
               consts: CostConstants) -> list[Boundary]:
    """Values written on one engine and read on the other: a handoff each."""
    made = {n: (i, layer.engine, b) for i, layer in enumerate(layers)
            for n, b in zip(layer.outputs, layer.out_bytes)}
    seen: set[str] = set()
    out: list[Boundary] = []
    for layer in layers:
        for name in layer.inputs:
            src = made.get(name)
            if src is None or src[1] == layer.engine or name in seen:
                continue
            seen.add(name)
            nbytes = src[2]                    # as the producer stored it
            cyc = consts.boundary_sync_us * t.npu.clock_mhz + nbytes / bytes_per_cycle(t)
            io = layers[src[0]].io or layer.io
            out.append(Boundary(name, f"{src[1]}→{layer.engine}", nbytes, cyc,
                                cyc / t.npu.clock_mhz, io))
    return out


def npu_segments(layers: Sequence[Layer]) -> int:
    """Runs of consecutive NPU layers (each is one submission to the driver)."""
    runs, prev = 0, "cpu"
    for layer in layers:
        if layer.engine == "npu" and layer.kind != "view" and prev != "npu":
            runs += 1
        if layer.kind != "view":
            prev = layer.engine
    return runs


def estimate_layers(layers: Sequence[Layer], t: TargetProfile, *,
                    options: CostOptions | None = None,
                    constants: CostConstants | None = None, model: str = "",
                    outputs: Sequence[str] = (), plan: Any = None,
                    notes: Mapping[str, Any] | None = None) -> PerfReport:
    """The :class:`PerfReport` of ``layers`` on ``t``."""
    opts = options or CostOptions()
    consts = constants or DEFAULT_CONSTANTS
    rows = cost_rows(layers, t, opts, consts, outputs)
    bnds = boundaries(layers, t, consts)
    launches = npu_segments(layers)
    launch_cyc = launches * consts.npu_launch_us * t.npu.clock_mhz
    one = rows if opts.cores == 1 else cost_rows(
        layers, t, CostOptions(1, opts.npu_dtype, opts.use_sram, opts.fuse), consts, outputs)
    peak, step = peak_activation(layers)
    arena = plan_arena(plan)
    rep = PerfReport(model=model, target=t.name, rows=rows, boundaries=bnds,
                     launches=launches, launch_cycles=launch_cyc,
                     conditions=conditions(t, opts, consts, layers))
    rep.totals = _totals(rep, one, t, layers)
    rep.memory = _memory(layers, rows, t, consts, peak, arena, step)
    rep.notes = dict(notes or {})
    return rep


def _totals(rep: PerfReport, one_core: Sequence[LayerCost], t: TargetProfile,
            layers: Sequence[Layer]) -> dict[str, Any]:
    mhz = t.npu.clock_mhz
    total = sum(r.cycles for r in rep.rows) + sum(b.cycles for b in rep.boundaries)
    total += rep.launch_cycles
    io = sum(r.cycles for r in rep.rows if r.io) + sum(b.cycles for b in rep.boundaries if b.io)
    npu1 = sum(r.cycles for r in one_core if r.engine == "npu") + rep.launch_cycles
    cpu = sum(r.cycles for r in rep.rows if r.engine == "cpu" and not r.io)
    dram = sum(r.dram_bytes for r in rep.rows) + sum(b.nbytes for b in rep.boundaries)
    dram1 = sum(r.dram_bytes for r in one_core) + sum(b.nbytes for b in rep.boundaries)
    macs = sum(r.macs for r in rep.rows)
    npu_macs = sum(r.macs for r in rep.rows if r.engine == "npu")
    inf = total - io
    limits = {"npu": t.npu.cores * mhz * 1e6 / npu1 if npu1 else float("inf"),
              "dram": bytes_per_cycle(t) * mhz * 1e6 / dram1 if dram1 else float("inf"),
              "cpu": mhz * 1e6 / cpu if cpu else float("inf")}
    bound_by = min(limits, key=lambda k: limits[k])
    npu_cyc = sum(r.cycles for r in rep.rows if r.engine == "npu")
    dtype = next((x.dtype for x in layers if x.engine == "npu"), "int8")
    peak = macs_per_cycle(t, dtype) * max(int(rep.conditions['latency_cores']), 1) if npu_cyc else 0
    return {
        "latency_ms": total / mhz / 1e3, "inference_ms": inf / mhz / 1e3,
        "io_ms": io / mhz / 1e3, "fps": 1e3 / (inf / mhz / 1e3) if inf else 0.0,
        "throughput_fps": limits[bound_by], "throughput_bound_by": bound_by,
        "npu_ms": npu_cyc / mhz / 1e3, "cpu_ms": cpu / mhz / 1e3,
        "handoff_ms": sum(b.cycles for b in rep.boundaries if not b.io) / mhz / 1e3,
        "launch_ms": rep.launch_cycles / mhz / 1e3,
        "macs": macs, "npu_macs": npu_macs,
        "utilisation": npu_macs / (npu_cyc * peak) if peak else 0.0,
        "dram_bytes": dram, "npu_layers": sum(1 for r in rep.rows if r.engine == "npu"
                                               and r.bound not in ("view",)),
        "cpu_layers": sum(1 for r in rep.rows if r.engine == "cpu" and not r.io),
        "memory_bound_layers": sum(1 for r in rep.rows if r.bound == "memory"),
    }


def _memory(layers: Sequence[Layer], rows: Sequence[LayerCost], t: TargetProfile,
            consts: CostConstants, peak: int, arena: int | None, step: int) -> dict[str, Any]:
    cbuf = t.npu.conv_buffer_kb * 1024
    npu_rows = [r for r in rows if r.engine == "npu" and r.bound != "view"]
    use = [min(r.working_set - (r.write_bytes if r.fused_into == "" else 0), cbuf)
           for r in npu_rows if r.kind in ("conv", "depthwise", "gemm")] or [0]
    weights = sum(x.weight_bytes for x in layers)
    runtime = consts.runtime_base_bytes + consts.descriptor_bytes * len(npu_rows)
    act = arena if arena is not None else peak
    return {
        "weight_bytes": weights, "activation_bytes": act,
        "activation_source": "compiler memory plan" if arena is not None
        else "value liveness (lower bound of any plan)",
        "peak_step": layers[step].name if layers else "",
        "runtime_bytes": runtime, "total_bytes": weights + act + runtime,
        "conv_buffer_bytes": cbuf, "conv_buffer_peak_use": max(use),
        "sram_bytes": t.npu.sram_kb * 1024,
        "over_buffer": [r.node for r in rows if r.exceeds_buffer],
    }


def conditions(t: TargetProfile, opts: CostOptions, consts: CostConstants,
               layers: Sequence[Layer]) -> dict[str, Any]:
    """What the estimate assumes, printed with it."""
    dtypes = sorted({x.dtype for x in layers if x.engine == "npu"}) or [opts.npu_dtype]
    return {
        "target": t.name, "profile": t.source_path, "npu_clock_mhz": t.npu.clock_mhz,
        "dram_gbps": t.memory.dram_bandwidth_gbps,
        "dram_efficiency": t.memory.dram_efficiency,
        "latency_cores": opts.cores, "throughput_cores": t.npu.cores,
        "npu_dtypes": dtypes, "use_sram": opts.use_sram, "fusion": opts.fuse,
        "cpu_gflops": t.cpu.gflops,
        "efficiency": dict(t.npu.efficiency),
        "per_layer_overhead_cycles": t.npu.per_layer_overhead_cycles,
        "timed": ("inference = NPU layers + CPU layers + NPU↔CPU handoffs + driver launches; "
                  "latency adds the input quantize / output dequantize on the CPU"),
        "constants": {k: getattr(consts, k) for k in consts.__dataclass_fields__},
    }
