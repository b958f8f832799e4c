"""Compute cycles of one layer: the MAC array with its atomic shape, the vector units, the CPU.

The MAC array consumes ``atomic_c`` input channels for ``atomic_k`` output
channels of ``atomic_p`` output positions per cycle (``atomic_p`` is
``macs_per_cycle / (atomic_c·atomic_k)``: 1 on NVDLA and RKNPU, 8 on the
Ascend cube).  As in the NVDLA performance model,

    cycles = N · ⌈C/atomic_c⌉ · ⌈K/atomic_k⌉ · ⌈P·Q/atomic_p⌉ · R·S  (÷ 2.25 Winograd)

so channels that do not fill the array cost full cycles.  Depthwise layers
run on the diagonal of the array (``atomic_c`` MACs per cycle), grouped ones
as the cheaper of per-group passes or one block-diagonal pass, and a layer
with fewer input channels than ``atomic_c`` folds its kernel width into the
channels (NVDLA's channel extension for image input).  What the structure
does not explain — pipeline bubbles, stalls — is the fitted
``npu.efficiency[kind]`` divisor.  See docs/performance.md.
"""

from __future__ import annotations

from math import ceil

from npukit.cost.layers import ConvGeom, Layer
from npukit.cost.params import CostError
from npukit.targets import TargetProfile

WINOGRAD_GAIN = 2.25      # 3×3 Winograd F(2×2, 3×3): 36 → 16 multiplies (NVDLA)


def atoms(t: TargetProfile, dtype: str) -> tuple[int, int, int]:
    """``(atomic_c, atomic_k, atomic_p)`` of the array for ``dtype``.

    A dtype whose rate differs from INT8 scales ``atomic_c`` (NVDLA and RKNPU
    halve the channel atom for 16-bit types); ``atomic_k`` stays.
    """
    base = t.npu.macs_per_cycle["int8"]
    rate = macs_per_cycle(t, dtype)
    ac = max(1, int(t.npu.atomic_c * rate / base))
    ak = t.npu.atomic_k
    return ac, ak, max(1, rate // (ac * ak))


def macs_per_cycle(t: TargetProfile, dtype: str) -> int:
    """MACs per cycle per core for ``dtype`` (uint8 runs at the int8 rate)."""
    table = t.npu.macs_per_cycle
    rate = table.get(dtype) or (table.get("int8") if dtype == "uint8" else None)
    if not rate:
        raise CostError(f"target {t.name!r} states no MAC rate for {dtype}",
                        hint=f"add npu.macs_per_cycle.{dtype} to {t.source_path or 'the profile'}"
                        " or run the model in a dtype the NPU has")
    return int(rate)


def array_cycles(g: ConvGeom, kind: str, t: TargetProfile, dtype: str) -> float:
    """Cycles of a conv / depthwise / GEMM layer at 100 % array efficiency (one core)."""
    ac, ak, ap = atoms(t, dtype)
    px = ceil(g.out_pixels / ap)
    taps = g.taps
    cg, kg = g.cin // max(g.groups, 1), g.cout // max(g.groups, 1)
    if kind == "depthwise":
        blocks = ceil(g.cin / ac) * kg
    elif g.groups > 1:
        blocks = min(g.groups * ceil(cg / ac) * ceil(kg / ak),
                     ceil(g.cin / ac) * ceil(g.cout / ak))
    else:
        blocks = ceil(g.cin / ac) * ceil(g.cout / ak)
        if g.cin < ac and len(g.kernel) >= 2 and g.kernel[-1] > 1:
            s = g.kernel[-1]
            ext = ceil(g.cin * s / ac) * ceil(g.cout / ak) * (taps // s)
            if ext < blocks * taps:
                blocks, taps = ext, 1
    cycles = float(g.batch * blocks * px * taps)
    if winograd_applies(g, kind, t):
        cycles /= WINOGRAD_GAIN
    return cycles


def winograd_applies(g: ConvGeom, kind: str, t: TargetProfile) -> bool:
    """3×3, stride-1, ungrouped convolution on a target with Winograd."""
    return (t.npu.winograd and kind == "conv" and g.groups == 1
            and g.kernel == (3, 3) and g.strides == (1, 1))


def efficiency(t: TargetProfile, kind: str) -> float:
    """The profile's fitted efficiency for ``kind`` (views and moves: 1)."""
    if kind not in t.npu.efficiency:
        if kind in ("move", "view", "convert", "cpu"):
            return 1.0
        raise CostError(f"target {t.name!r} has no npu.efficiency.{kind}",
                        hint=f"add {kind} = <0..1> to [npu] efficiency in "
                        f"{t.source_path or 'the profile'} (see docs/performance.md)")
    return float(t.npu.efficiency[kind])


def core_splits(layer: Layer, t: TargetProfile, cores: int) -> list[tuple[float, int]]:
    """Ways to split a layer over ``cores``: ``(fraction of cycles per core, extra bytes)``.

    By output channels, in whole ``atomic_k`` blocks (depthwise: ``atomic_c``):
    every core reads the whole input.  By output positions, in whole
    ``atomic_p`` blocks: every core reads all the weights.  A layer with fewer
    blocks than cores gains nothing from the extra cores; vector layers split evenly.
    """
    if cores <= 1:
        return [(1.0, 0)]
    g = layer.geom
    if g is None or layer.kind not in ("conv", "depthwise", "gemm"):
        return [(1.0 / cores, 0)]
    ac, ak, ap = atoms(t, layer.dtype)
    kb = ceil(g.cout / (ac if layer.kind == "depthwise" else ak))
    pb = ceil(g.out_pixels / ap) * g.batch
    return [(ceil(kb / cores) / kb, sum(layer.in_bytes) * (cores - 1)),
            (ceil(pb / cores) / pb, layer.weight_bytes * (cores - 1))]


def npu_compute_cycles(layer: Layer, t: TargetProfile, split: float = 1.0) -> float:
    """Compute cycles of an NPU layer on one core running ``split`` of it."""
    if layer.kind in ("view", "move"):
        return 0.0
    if layer.geom is not None and layer.kind in ("conv", "depthwise", "gemm"):
        cyc = array_cycles(layer.geom, layer.kind, t, layer.dtype)
    else:
        ac, _, ap = atoms(t, layer.dtype)
        cyc = layer.work / float(ac * ap)     # vector units: one channel atom per cycle
    return cyc / efficiency(t, layer.kind) * split


def cpu_seconds(layer: Layer, t: TargetProfile) -> float:
    """Arithmetic time of a CPU (float) layer from the target's sustained GFLOP/s."""
    flops = 2.0 * layer.macs if layer.macs else layer.out_elems * layer.flops_per_elem
    return flops / (t.cpu.gflops * 1e9)


def utilisation(macs: int, cycles: float, t: TargetProfile, dtype: str, cores: int = 1) -> float:
    """Achieved fraction of the array's peak over ``cycles`` (0 for no MACs)."""
    if not macs or cycles <= 0:
        return 0.0
    return macs / (cycles * macs_per_cycle(t, dtype) * max(cores, 1))
