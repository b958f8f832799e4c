"""Compute cycles worked by hand on the toy 8×8 array (conftest.toy_dict)."""

from __future__ import annotations

import dataclasses

import pytest
from costkit import conv_layer, toy_dict, vector_layer

from npukit.cost.compute import (
    array_cycles,
    atoms,
    core_splits,
    cpu_seconds,
    macs_per_cycle,
    npu_compute_cycles,
    utilisation,
)
from npukit.cost.params import CostError
from npukit.targets import profile_from_dict


def test_single_conv_cycles_by_hand(toy):
    # 8→8 channels fill one 8×8 atom; 4×4 outputs × 3×3 taps = 144 cycles
    layer = conv_layer(cin=8, cout=8, hw=4, k=3)
    assert npu_compute_cycles(layer, toy) == 144
    assert npu_compute_cycles(layer, toy, split=0.5) == 72
    assert utilisation(layer.macs, 144, toy, "int8") == pytest.approx(1.0)


def test_core_splits_by_channel_blocks_or_positions(toy):
    # one block of 8 kernels cannot split by channels; 16 positions split by rows
    # (each core then reads all 576 B of weights)
    assert core_splits(conv_layer(), toy, 2) == [(1.0, 128), (0.5, 576)]
    assert core_splits(conv_layer(cout=16), toy, 2)[0] == (0.5, 128)
    assert core_splits(conv_layer(), toy, 1) == [(1.0, 0)]


@pytest.mark.parametrize("cin,cout,k,expect", [
    (9, 8, 3, 2 * 16 * 9),      # 9 input channels need two atoms of 8
    (8, 9, 3, 2 * 16 * 9),      # 9 kernels need two atoms of 8
    (3, 8, 1, 16),              # 3 channels still cost a full atom
    (16, 16, 1, 4 * 16),
])
def test_channels_pad_to_atomic_sizes(toy, cin, cout, k, expect):
    assert npu_compute_cycles(conv_layer(cin=cin, cout=cout, k=k), toy) == expect


def test_padding_wastes_macs(toy):
    layer = conv_layer(cin=3, cout=8, k=1)
    cyc = npu_compute_cycles(layer, toy)
    assert utilisation(layer.macs, cyc, toy, "int8") == pytest.approx(3 / 8)


def test_channel_extension_folds_kernel_width(toy):
    # 3 channels × 3 columns = 9 → 2 atoms, 3 kernel rows: 2·16·3 = 96 (not 1·16·9 = 144)
    assert npu_compute_cycles(conv_layer(cin=3, cout=8, k=3), toy) == 96


def test_depthwise_runs_on_the_diagonal(toy):
    layer = conv_layer(cin=16, cout=16, groups=16, kind="depthwise")
    assert npu_compute_cycles(layer, toy) == 2 * 16 * 9       # ⌈16/8⌉ atoms, one kernel each


def test_grouped_conv_takes_the_cheaper_split(toy):
    layer = conv_layer(cin=32, cout=32, groups=2)
    # per group: 2 groups × ⌈16/8⌉ × ⌈16/8⌉ = 8 atoms; block-diagonal: 4 × 4 = 16
    assert array_cycles(layer.geom, "conv", toy, "int8") == 8 * 16 * 9


def test_winograd_divides_3x3_stride_1(toy):
    t = dataclasses.replace(toy, npu=dataclasses.replace(toy.npu, winograd=True))
    assert npu_compute_cycles(conv_layer(), t) == pytest.approx(144 / 2.25)
    assert npu_compute_cycles(conv_layer(stride=2), t) == 144


def test_efficiency_divides(toy):
    eff = dict(toy.npu.efficiency, conv=0.5)
    t = dataclasses.replace(toy, npu=dataclasses.replace(toy.npu, efficiency=eff))
    assert npu_compute_cycles(conv_layer(), t) == 288


def test_atoms_scale_with_dtype_rate(toy):
    assert atoms(toy, "int8") == (8, 8, 1)
    assert atoms(toy, "fp16") == (4, 8, 1)
    assert macs_per_cycle(toy, "uint8") == 64


def test_vector_layers_move_one_channel_atom_per_cycle(toy):
    assert npu_compute_cycles(vector_layer("a", "Add", ("p", "q"), "s", 64), toy) == 16


def test_cpu_seconds_from_gflops(toy):
    layer = vector_layer("m", "MatMul", ("p",), "s", 10, engine="cpu")
    layer.macs = 1_000_000
    assert cpu_seconds(layer, toy) == pytest.approx(2e-3)      # 2 MFLOP at 1 GFLOP/s


def test_missing_profile_fields_are_named():
    d = toy_dict()
    del d["npu"]["efficiency"]["depthwise"]
    t = profile_from_dict(d, source="mine.toml")
    with pytest.raises(CostError, match=r"npu\.efficiency\.depthwise"):
        npu_compute_cycles(conv_layer(cin=16, cout=16, groups=16, kind="depthwise"), t)
    with pytest.raises(CostError, match=r"npu\.macs_per_cycle\.int16"):
        macs_per_cycle(t, "int16")
