"""Layer time = max(compute, memory) + overhead; CPU layers; fused post-ops."""

from __future__ import annotations

import dataclasses

import pytest
from costkit import conv_layer, vector_layer

from npukit.cost.fuse import find_fusions
from npukit.cost.layer import cost_cpu, cost_group
from npukit.cost.params import DEFAULT_CONSTANTS, CostOptions


def _one(layer, t):
    fusion = find_fusions([layer])
    return cost_group([layer], 0, fusion, t, CostOptions(), DEFAULT_CONSTANTS)[0][1]


def test_small_conv_is_memory_bound(toy):
    row = _one(conv_layer(), toy)
    # 128 B in + 576 B weights + 128 B out at 1 B/cycle vs 144 compute cycles
    assert row.memory_cycles == 832 and row.compute_cycles == 144
    assert row.bound == "memory" and row.cycles == 832 + 100
    assert row.time_us == pytest.approx(0.932)


def test_switch_to_compute_bound_with_bandwidth(toy):
    layer = conv_layer(cin=64, cout=64, hw=32, k=3)
    assert _one(layer, toy).bound == "compute"            # 589 824 compute cycles
    assert _one(layer, toy).cycles == 8 * 8 * 1024 * 9 + 100
    slow = dataclasses.replace(toy, memory=dataclasses.replace(toy.memory,
                                                               dram_bandwidth_gbps=0.1))
    assert _one(layer, slow).bound == "memory"


def test_overhead_bound_when_tiny(toy):
    big = dataclasses.replace(toy, npu=dataclasses.replace(toy.npu,
                                                           per_layer_overhead_cycles=10000))
    assert _one(conv_layer(), big).bound == "overhead"


def test_cpu_record_costed_from_gflops(toy):
    layer = vector_layer("m", "MatMul", ("p",), "s", 10, engine="cpu")
    layer.macs = 1_000_000
    row = cost_cpu(layer, toy, DEFAULT_CONSTANTS)
    # 2 MFLOP at 1 GFLOP/s = 2 ms, + 5 µs dispatch; cycles are NPU cycles at 1 GHz
    assert row.cycles == pytest.approx(2_000_000 + 5000)
    assert row.bound == "cpu" and row.engine == "cpu"


def test_fused_post_op_is_free_and_keeps_the_output_on_chip(toy):
    conv = conv_layer(out="y")
    relu = vector_layer("relu", "Relu", ("y",), "z", 128)
    layers = [conv, relu]
    fusion = find_fusions(layers)
    rows = dict(cost_group(layers, 0, fusion, toy, CostOptions(), DEFAULT_CONSTANTS))
    assert rows[1].bound == "fused" and rows[1].cycles == 0 and rows[1].fused_into == "c"
    assert rows[0].write_bytes == 0 and rows[1].read_bytes == 0
    assert rows[0].memory_cycles == 128 + 576 + 128        # conv in + weights + relu out
