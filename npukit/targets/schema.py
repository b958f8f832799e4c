"""The typed shape of a target profile: a frozen dataclass tree.

A profile is data (``profiles/<name>.toml``), validated on load by
:mod:`npukit.targets.loader` against the fields declared here.  Every field
carries ``metadata["doc"]`` (what it means and its unit), which
``docs/targets.md`` and the loader's error messages quote.  Range limits live
in ``metadata`` too (``min`` / ``max`` / ``choices``), so the schema is the
one place a rule is written down.

Provenance: each section may hold a ``provenance`` table mapping a field name
(or ``field.key`` for one entry of a dtype table) to a label — ``src: …``,
``derived: …``, ``unverified: …``, ``fitted: …`` or ``assumed: …`` — saying
where the number comes from (see ``docs/targets.md``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from npukit.errors import NpukitError

SCHEMA_VERSION = 1

#: Element types a profile may name, and the IR dtype each corresponds to.
DTYPES: Mapping[str, str] = MappingProxyType({
    "int4": "int4", "uint8": "uint8", "int8": "int8", "int16": "int16",
    "fp16": "float16", "bf16": "bfloat16", "tf32": "float32", "fp32": "float32",
})
FLOAT_DTYPES = frozenset({"fp16", "bf16", "tf32", "fp32"})
#: The same names as :class:`npukit.numerics.rounding.RoundingMode` (a test checks).
ROUNDING_MODES = ("half_away_from_zero", "half_to_even", "half_up", "truncate", "floor")
REQUANT_MODES = ("q31_multiplier_shift", "q15_multiplier_shift", "float_scale")
PROVENANCE_LABELS = ("src", "derived", "unverified", "fitted", "assumed")
EFFICIENCY_KEYS = ("conv", "depthwise", "gemm", "elementwise", "pool")


class TargetError(NpukitError):
    """A target profile that is unknown, unreadable or invalid (the message names the file)."""


def _f(doc: str, **rules: Any) -> Any:
    """A required field with its documentation and range rules."""
    return field(metadata={"doc": doc, **rules})


def _opt(doc: str, default: Any, **rules: Any) -> Any:
    """An optional field (a default exists) with its documentation and rules."""
    kw: dict[str, Any] = {"default_factory": default} if callable(default) else {"default": default}
    return field(metadata={"doc": doc, **rules}, **kw)


_PROV_DOC = ("provenance label per field (`src: …`, `derived: …`, `unverified: …`, "
             "`fitted: …`, `assumed: …`); keys are field names or `field.key`")


@dataclass(frozen=True)
class NpuSpec:
    """The accelerator: compute array, on-chip buffers, fixed costs."""

    cores: int = _f("NPU cores that can run one model's layers in parallel", min=1, max=64)
    clock_mhz: float = _f("NPU clock, MHz", min=1.0, max=10000.0)
    macs_per_cycle: Mapping[str, int] = _f(
        "multiply-accumulates per cycle *per core*, by dtype (`int8`, `fp16` …); "
        "one MAC = 2 ops", dtype_keys=True, min=1)
    stated_tops_int8: float = _f(
        "vendor's stated peak INT8 TOPS for the whole NPU (0 = none stated); "
        "the profile's own peak must agree with it within 5 %", min=0.0)
    atomic_c: int = _f("input channels the MAC array consumes per cycle (channel blocking)",
                       min=1)
    atomic_k: int = _f("output channels (kernels) the MAC array produces per cycle", min=1)
    winograd: bool = _f("3×3 stride-1 convolutions can run as Winograd (÷2.25 MAC cycles)")
    conv_buffer_kb: int = _f("convolution buffer per core (input + weights), KiB; 0 = none",
                             min=0)
    sram_kb: int = _f("on-chip SRAM assignable to the NPU beyond the conv buffer, KiB", min=0)
    per_layer_overhead_cycles: int = _f("fixed cycles per layer (setup, sync)", min=0)
    efficiency: Mapping[str, float] = _f(
        "achieved fraction of peak MAC throughput by layer kind "
        f"({', '.join(EFFICIENCY_KEYS)}), 0 < e ≤ 1", keys=EFFICIENCY_KEYS, min=0.0, max=1.0)
    provenance: Mapping[str, str] = _opt(_PROV_DOC, dict)

    def peak_macs_per_second(self, dtype: str = "int8") -> float:
        """All cores, MAC/s, for ``dtype`` (0.0 when the NPU has no such MAC path)."""
        return self.cores * self.macs_per_cycle.get(dtype, 0) * self.clock_mhz * 1e6

    def peak_tops(self, dtype: str = "int8") -> float:
        """Peak tera-ops per second (2 ops per MAC, vendor convention)."""
        return 2.0 * self.peak_macs_per_second(dtype) / 1e12


@dataclass(frozen=True)
class MemorySpec:
    """External memory as the NPU sees it."""

    dram_type: str = _f("DRAM kind and bus width, free text (e.g. `LPDDR4X 64-bit`)")
    dram_bandwidth_gbps: float = _f("peak DRAM bandwidth, GB/s (10⁹ bytes per second)",
                                    min=0.001, max=10000.0)
    dram_efficiency: float = _f("achieved fraction of peak DRAM bandwidth", min=0.01, max=1.0)
    dram_latency_cycles: int = _f("latency of one DRAM access, NPU cycles", min=0)
    provenance: Mapping[str, str] = _opt(_PROV_DOC, dict)


@dataclass(frozen=True)
class NumericsSpec:
    """What the integer arithmetic does; the numerics layer takes these as arguments."""

    activation_dtypes: tuple[str, ...] = _f("dtypes a tensor may have on the NPU",
                                            dtype_items=True, nonempty=True)
    weight_dtypes: tuple[str, ...] = _f("dtypes weights may have on the NPU",
                                        dtype_items=True, nonempty=True)
    per_channel_weights: bool = _f("weights may carry one scale per output channel")
    rounding: str = _f("rounding mode of requantization", choices=ROUNDING_MODES)
    requant: str = _f("how the int32 accumulator is scaled to the output dtype",
                      choices=REQUANT_MODES)
    accumulator_bits: int = _f("accumulator width of the integer MAC path, bits",
                               min=16, max=64)
    float_on_npu: bool = _f("the NPU itself runs float ops (false: floats run elsewhere)")
    provenance: Mapping[str, str] = _opt(_PROV_DOC, dict)


@dataclass(frozen=True)
class LayoutSpec:
    """How the NPU stores feature maps."""

    name: str = _f("tensor layout name (e.g. `NC1HWC2`, `NHWC`, `NCHW`)")
    channel_align: Mapping[str, int] = _f(
        "channel counts round up to a multiple of this, by dtype (C2 of NC1HWC2)",
        dtype_keys=True, min=1)
    provenance: Mapping[str, str] = _opt(_PROV_DOC, dict)


@dataclass(frozen=True)
class CpuSpec:
    """The host CPU that runs fallback ops."""

    name: str = _f("CPU cores, free text (e.g. `4×Cortex-A76 + 4×Cortex-A55`)")
    cores: int = _f("CPU cores available to fallback ops", min=1, max=1024)
    gflops: float = _f("sustained float32 GFLOP/s of fallback ops on all cores", min=0.001)
    provenance: Mapping[str, str] = _opt(_PROV_DOC, dict)


@dataclass(frozen=True)
class OpLimits:
    """Which ops the NPU runs and within which limits; 0 means "no limit"."""

    supported: tuple[str, ...] = _f(
        "allow-list of ONNX op types the NPU runs; empty = every op npukit has")
    unsupported: tuple[str, ...] = _f("ONNX op types that never run on the NPU (→ CPU)")
    kernel_max: int = _f("largest kernel extent per spatial axis (Conv, pools), 0 = no limit",
                         min=0)
    stride_max: int = _f("largest stride per spatial axis, 0 = no limit", min=0)
    dilation_max: int = _f("largest dilation per spatial axis, 0 = no limit", min=0)
    channels_max: int = _f("largest input or output channel count of a Conv, 0 = no limit",
                           min=0)
    batch_max: int = _f("largest batch (first dim) of a tensor on the NPU, 0 = no limit",
                        min=0)
    rank_max: int = _f("largest tensor rank on the NPU, 0 = no limit", min=0)
    transpose_max_hw: int = _f(
        "largest product of a Transpose input's last two dims (H×W), 0 = no limit", min=0)
    dynamic_shapes: bool = _f("the NPU runs tensors whose shapes are not static")
    provenance: Mapping[str, str] = _opt(_PROV_DOC, dict)


@dataclass(frozen=True)
class TargetProfile:
    """One chip: identity, compute, memory, numerics, layout, host CPU and op support."""

    schema_version: int = _f("profile format version; this npukit reads 1",
                             min=SCHEMA_VERSION, max=SCHEMA_VERSION)
    name: str = _f("lower-case chip name, the file's stem (e.g. `rk3588`)")
    vendor: str = _f("chip vendor")
    description: str = _f("one line: the NPU and what it is for")
    vendor_flow: str = _f("the vendor's own toolchain and file format, for reference")
    npu: NpuSpec = _f("the accelerator")
    memory: MemorySpec = _f("external memory")
    numerics: NumericsSpec = _f("integer arithmetic")
    layout: LayoutSpec = _f("feature-map layout")
    cpu: CpuSpec = _f("host CPU for fallback ops")
    ops: OpLimits = _f("op support and limits")
    source_path: str = _opt("file the profile was read from (set by the loader)", "",
                            internal=True)

    def __hash__(self) -> int:  # sections hold read-only mappings, which do not hash
        return hash((self.name, self.source_path))

    @property
    def peak_tops_int8(self) -> float:
        return self.npu.peak_tops("int8")

    def npu_dtypes(self) -> frozenset[str]:
        """IR dtype names of tensors the NPU holds (``int8``, ``float16`` …)."""
        return frozenset(DTYPES[d] for d in self.numerics.activation_dtypes)

    def provenance(self, section: str, key: str) -> str:
        """The provenance label of ``section.key`` (``""`` when the file gives none)."""
        prov: Mapping[str, str] = getattr(getattr(self, section), "provenance", {})
        return prov.get(key) or prov.get(key.split(".")[0], "")


def to_dict(obj: Any) -> Any:
    """Plain JSON-ready data (dicts, lists, scalars) for a profile or any part of one."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return [to_dict(v) for v in obj]
    return obj
