"""Memory traffic and memory time of one layer; the activation peak of a whole model.

Traffic follows the NVDLA model: a layer reads its input feature maps and its
weights once and writes its output once, *plus* a re-fetch when the conv
buffer cannot hold what it needs.  The buffer (``npu.conv_buffer_kb``) holds
input and weights together; no re-fetch happens when

* input and weights both fit, or
* all weights fit beside the smallest input slice (the input rows one output
  row needs: the input streams through), or
* the whole input fits beside one kernel group (``atomic_k`` kernels: the
  weights stream through).

Otherwise the cheaper split is taken: input tiles of half the buffer, each
re-reading all weights, or weight chunks of half the buffer, each re-reading
the input.  Memory time is bytes at ``dram_bandwidth_gbps ×
dram_efficiency`` plus one ``dram_latency_cycles``.
"""

from __future__ import annotations

from math import ceil
from typing import Iterable, Mapping, Sequence

from npukit.cost.layers import Layer
from npukit.targets import TargetProfile


def buffer_bytes(t: TargetProfile) -> int:
    return t.npu.conv_buffer_kb * 1024


def kernel_group_bytes(layer: Layer, t: TargetProfile) -> int:
    """Weights of one pass of ``atomic_k`` kernels."""
    g = layer.geom
    if g is None or not g.cout:
        return layer.weight_bytes
    return ceil(layer.weight_bytes * min(t.npu.atomic_k, g.cout) / g.cout)


def refetch_bytes(layer: Layer, t: TargetProfile) -> int:
    """Extra DRAM reads of an array layer whose input and weights overflow the buffer."""
    cbuf = buffer_bytes(t)
    if layer.geom is None or cbuf == 0:
        return 0
    ifm, w = sum(layer.in_bytes), layer.weight_bytes
    slice_b = min(layer.geom.slice_bytes, ifm)
    if ifm + w <= cbuf or w + slice_b <= cbuf or ifm + kernel_group_bytes(layer, t) <= cbuf:
        return 0
    half = max(cbuf // 2, 1)
    weights_again = w * (ceil(ifm / half) - 1)
    input_again = ifm * (ceil(w / half) - 1)
    return min(weights_again, input_again)


def working_set(layer: Layer) -> int:
    """Bytes the layer would like on chip at once: input, weights and output."""
    return sum(layer.in_bytes) + layer.weight_bytes + sum(layer.out_bytes)


def exceeds_buffer(layer: Layer, t: TargetProfile) -> bool:
    """The layer's input and weights do not fit the conv buffer (it tiles or re-fetches)."""
    cbuf = buffer_bytes(t)
    return bool(cbuf) and layer.geom is not None and (
        sum(layer.in_bytes) + layer.weight_bytes > cbuf)


def bytes_per_cycle(t: TargetProfile) -> float:
    """Achieved DRAM bytes per NPU cycle."""
    return t.memory.dram_bandwidth_gbps * 1e9 * t.memory.dram_efficiency / (t.npu.clock_mhz * 1e6)


def memory_cycles(nbytes: float, t: TargetProfile) -> float:
    """NPU cycles to move ``nbytes`` to or from DRAM (with one access latency)."""
    if nbytes <= 0:
        return 0.0
    return nbytes / bytes_per_cycle(t) + t.memory.dram_latency_cycles


def peak_activation(layers: Sequence[Layer], resident: Iterable[str] = ()) -> tuple[int, int]:
    """``(peak bytes, step)``: the largest sum of simultaneously live values.

    A value is live from the layer that writes it (or the start, for a
    program input) to the last layer that reads it, both inclusive.
    """
    size: dict[str, int] = {}
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for step, layer in enumerate(layers):
        for name, b in zip(layer.outputs, layer.out_bytes):
            size.setdefault(name, b)
            first.setdefault(name, step)
            last[name] = max(last.get(name, step), step)
        for name, b in zip(layer.inputs, layer.in_bytes):
            size.setdefault(name, b)
            first.setdefault(name, 0)
            last[name] = step
    for name in resident:
        last[name] = len(layers)
    best, at = 0, 0
    for step in range(len(layers)):
        live = sum(size[n] for n in size if first[n] <= step <= last.get(n, first[n]))
        if live > best:
            best, at = live, step
    return best, at


def plan_arena(plan: object | Mapping[str, object] | None) -> int | None:
    """Arena bytes of a compiler memory plan (an object or its JSON), if given."""
    if plan is None:
        return None
    if isinstance(plan, Mapping):
        value = plan.get("arena_bytes")
    else:
        value = getattr(plan, "arena_bytes", None)
    return int(value) if isinstance(value, (int, float)) else None
