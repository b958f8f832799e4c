"""Whole-model totals: handoffs, launches, multi-core latency vs throughput."""

from __future__ import annotations

import pytest
from costkit import conv_layer, vector_layer

from npukit.cost.model import boundaries, estimate_layers, npu_segments
from npukit.cost.params import DEFAULT_CONSTANTS, CostOptions


def _npu_cpu_npu():
    return [conv_layer("c1", out="y"), vector_layer("cpu", "Erf", ("y",), "z", 128,
                                                   engine="cpu"),
            conv_layer("c2", inp="z", out="w")]


def test_boundary_transfer_cost(toy):
    b = boundaries(_npu_cpu_npu(), toy, DEFAULT_CONSTANTS)
    assert [(x.value, x.direction) for x in b] == [("y", "npu→cpu"), ("z", "cpu→npu")]
    # 10 µs sync at 1 GHz + 128 B at 1 B/cycle (y is 8×4×4 int8)
    assert b[0].nbytes == 128 and b[0].cycles == pytest.approx(10_000 + 128)


def test_segments_are_launches(toy):
    assert npu_segments(_npu_cpu_npu()) == 2
    rep = estimate_layers(_npu_cpu_npu(), toy)
    assert rep.launches == 2
    total = sum(r.cycles for r in rep.rows) + sum(b.cycles for b in rep.boundaries)
    assert rep.totals["inference_ms"] == pytest.approx((total + 2 * 20_000) / 1e6)
    assert rep.totals["cpu_layers"] == 1 and rep.totals["handoff_ms"] > 0


def test_cores_split_compute_for_latency_and_multiply_throughput(toy):
    layers = [conv_layer(cin=64, cout=64, hw=32, k=3)]
    one = estimate_layers(layers, toy)
    two = estimate_layers(layers, toy, options=CostOptions(cores=2))
    assert two.rows[0].compute_cycles == one.rows[0].compute_cycles / 2
    assert two.rows[0].overhead_cycles == one.rows[0].overhead_cycles + 500
    # split by output positions (cheaper here): each core reads all 36 KiB of weights
    assert two.rows[0].read_bytes == one.rows[0].read_bytes + 64 * 64 * 9
    # throughput: both cores, one inference each, at the one-core latency
    npu1 = one.rows[0].cycles + one.launch_cycles
    assert two.totals["throughput_fps"] == pytest.approx(
        min(2 * 1e9 / npu1, 1e9 / one.totals["dram_bytes"]))
    assert two.conditions["latency_cores"] == 2 and two.conditions["throughput_cores"] == 2


def test_memory_report_flags_layers_over_the_buffer(toy):
    rep = estimate_layers([conv_layer(cin=64, cout=64, hw=32, k=3)], toy)
    assert rep.memory["over_buffer"] == ["c"]
    assert rep.memory["conv_buffer_peak_use"] == 16 * 1024
    assert rep.memory["weight_bytes"] == 64 * 64 * 9
    rep = estimate_layers([conv_layer()], toy, plan={"arena_bytes": 4096})
    assert rep.memory["activation_bytes"] == 4096
    assert rep.memory["activation_source"] == "compiler memory plan"
