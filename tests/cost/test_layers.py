"""The cost view of a layer: sizes, kinds, user names."""

from __future__ import annotations

from costkit import conv_layer

from npukit.cost.layers import conv_kind, itemsize, numel


def test_itemsize_and_numel():
    assert [itemsize(d) for d in ("int8", "uint8", "int16", "float16", "float32", "int64")] \
        == [1, 1, 2, 2, 4, 8]
    assert numel((1, 3, 224, 224)) == 150528 and numel(()) == 1


def test_conv_kind():
    assert conv_kind(32, 32, 32) == "depthwise"
    assert conv_kind(32, 64, 32) == "depthwise"          # channel multiplier 2
    assert conv_kind(128, 128, 32) == "conv"             # grouped, 4 channels per group
    assert conv_kind(3, 64, 1) == "conv"


def test_user_name_from_sources():
    layer = conv_layer("rec")
    layer.sources = ("a", "b")
    assert layer.user_name == "a+b"
    layer.sources = ()
    assert layer.user_name == "rec"
