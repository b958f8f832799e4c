"""Traffic, re-fetch, memory time and the activation peak, worked by hand."""

from __future__ import annotations

from types import SimpleNamespace

from costkit import conv_layer, vector_layer

from npukit.cost.layers import ConvGeom
from npukit.cost.memory import (
    exceeds_buffer,
    memory_cycles,
    peak_activation,
    plan_arena,
    refetch_bytes,
)


def test_memory_cycles_at_one_byte_per_cycle(toy):
    assert memory_cycles(1000, toy) == 1000      # 1 GB/s at 1 GHz, no latency
    assert memory_cycles(0, toy) == 0


def test_no_refetch_when_input_and_weights_fit(toy):
    assert refetch_bytes(conv_layer(), toy) == 0
    assert not exceeds_buffer(conv_layer(), toy)


def test_no_refetch_when_weights_fit_beside_one_slice(toy):
    layer = conv_layer(cin=64, cout=8, hw=32, k=1)     # 64 KiB input, 512 B weights
    assert exceeds_buffer(layer, toy)
    assert refetch_bytes(layer, toy) == 0


def test_refetch_takes_the_cheaper_split(toy):
    layer = conv_layer(cin=8, cout=8, wbytes=40000)
    layer.in_bytes = (40000,)
    layer.geom = ConvGeom(1, 8, 8, 1, 16, (3, 3), (1, 1), 20000)
    # buffer 16 KiB, halves of 8192: 5 input tiles re-read the weights 4 more times
    assert refetch_bytes(layer, toy) == 40000 * 4


def test_peak_activation_by_liveness():
    layers = [vector_layer("a", "Relu", ("x",), "p", 100),
              vector_layer("b", "Relu", ("p",), "q", 50),
              vector_layer("c", "Add", ("p", "q"), "y", 10)]
    layers[0].in_bytes = (20,)
    # step 2: p (100) + q (50) + y (10) live; x died at step 0
    assert peak_activation(layers) == (160, 2)


def test_plan_arena_from_object_or_json():
    assert plan_arena({"arena_bytes": 123}) == 123
    assert plan_arena(SimpleNamespace(arena_bytes=7)) == 7
    assert plan_arena(None) is None
