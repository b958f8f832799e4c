"""Which layers ride in a producer's pipeline (NVDLA's SDP, RKNPU's DPU).

An NPU elementwise layer (bias, activation, residual add, lookup table:
:data:`~npukit.cost.layers.FUSABLE_OPS`; no reductions such as Softmax) that
is the *only* reader of a conv / depthwise / GEMM output — or of a layer
already fused into one — runs in that layer's output pipeline: it costs no
compute, no per-layer overhead, and the producer's output never goes to
DRAM.  The fused layer still reads its other operands (the residual branch)
and writes the group's output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from npukit.cost.layers import ARRAY_KINDS, FUSABLE_OPS, Layer


@dataclass(frozen=True)
class Fusion:
    """``anchor[i]``: index of the layer whose pipeline layer ``i`` runs in (or ``i``);
    ``on_chip``: values that never leave the pipeline."""

    anchor: tuple[int, ...]
    on_chip: frozenset[str]

    def members(self, i: int) -> list[int]:
        return [j for j, a in enumerate(self.anchor) if a == i]


def consumers(layers: Sequence[Layer]) -> dict[str, list[int]]:
    """Value name → indices of the layers that read it."""
    out: dict[str, list[int]] = {}
    for i, layer in enumerate(layers):
        for name in layer.inputs:
            out.setdefault(name, []).append(i)
    return out


def find_fusions(layers: Sequence[Layer], outputs: Sequence[str] = (),
                 enabled: bool = True) -> Fusion:
    """The fusion groups of ``layers`` (program outputs are never kept on chip)."""
    anchor = list(range(len(layers)))
    on_chip: set[str] = set()
    if not enabled:
        return Fusion(tuple(anchor), frozenset())
    readers = consumers(layers)
    keep_out = set(outputs)
    for i, layer in enumerate(layers):
        if layer.engine != "npu" or layer.kind not in ARRAY_KINDS:
            continue
        tail = i
        while True:
            outs = layers[tail].outputs
            if len(outs) != 1 or outs[0] in keep_out:
                break
            users = readers.get(outs[0], [])
            if len(users) != 1:
                break
            nxt = users[0]
            cand = layers[nxt]
            if (cand.engine != "npu" or cand.kind != "elementwise" or anchor[nxt] != nxt
                    or cand.op not in FUSABLE_OPS):
                break
            anchor[nxt] = i
            on_chip.add(outs[0])
            tail = nxt
    return Fusion(tuple(anchor), frozenset(on_chip))
