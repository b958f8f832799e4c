"""Explanations quote the report's own per-layer numbers."""

from __future__ import annotations

from costkit import conv_layer

from npukit.cost.explain import by_kind, memory_bound, utilisation_gap
from npukit.cost.model import estimate_layers
from npukit.targets import load_target


def test_memory_bound_names_layers_and_bytes_per_mac(toy):
    rep = estimate_layers([conv_layer("small")], toy, model="m")
    text = memory_bound(rep)
    assert text.startswith("1 layer(s) of m on toy are memory-bound")
    assert "small (Conv)" in text and "B/MAC" in text


def test_by_kind_and_gap_on_a_real_profile():
    t = load_target("rk3588")
    dw = [conv_layer("dw", cin=256, cout=256, hw=28, groups=256, kind="depthwise"),
          conv_layer("pw", cin=256, cout=256, hw=28, k=1, inp="y", out="z")]
    dense = [conv_layer("c", cin=256, cout=256, hw=28)]
    low = estimate_layers(dw, t, model="thin")
    high = estimate_layers(dense, t, model="dense")
    kinds = by_kind(low, t)
    assert kinds["depthwise"]["utilisation"] < kinds["conv"]["utilisation"]
    text = utilisation_gap(low, high)
    assert "depthwise layers hold" in text and "16 of 1024 MACs" in text
