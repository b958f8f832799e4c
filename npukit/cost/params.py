"""What an estimate assumes beyond the profile: options, modelling constants, errors.

The profile holds the chip (clock, MAC array, buffers, DRAM, fitted
efficiencies and per-layer overhead).  :class:`CostOptions` holds the
conditions of one estimate (cores, dtype of a float graph, what is timed);
:class:`CostConstants` the few modelling constants no public source gives,
labelled *assumed* in docs/performance.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from npukit.errors import NpukitError


class CostError(NpukitError):
    """An estimate that cannot be made: a profile lacks a field, a shape is unknown …"""


@dataclass(frozen=True)
class CostOptions:
    """Conditions of one estimate (printed with every report).

    ``cores``: NPU cores one inference's layers are split over (latency);
    throughput always uses every core, one inference each.  ``npu_dtype``:
    dtype a float graph's NPU layers are costed in (a Program says its own).
    ``use_sram``: keep feature maps that fit in ``npu.sram_kb`` on chip
    (RKNN's ``RKNN_FLAG_ENABLE_SRAM``; off by default, as in the vendors' figures).
    """

    cores: int = 1
    npu_dtype: str = "int8"
    use_sram: bool = False
    fuse: bool = True


@dataclass(frozen=True)
class CostConstants:
    """Modelling constants without a public source (*assumed*; see docs/performance.md)."""

    npu_launch_us: float = 20.0          # driver submit + completion interrupt per NPU segment
    boundary_sync_us: float = 10.0       # cache maintenance + handshake per NPU↔CPU value
    cpu_op_overhead_us: float = 5.0      # dispatch of one CPU (float) op
    core_sync_cycles: int = 500          # per layer, when a layer is split over cores
    descriptor_bytes: int = 1024         # register / command words per NPU layer
    runtime_base_bytes: int = 1 << 20    # driver context, program, I/O descriptors


DEFAULT_CONSTANTS = CostConstants()
