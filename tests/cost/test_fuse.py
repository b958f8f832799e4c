"""Which elementwise layers ride in their producer's pipeline."""

from __future__ import annotations

from costkit import conv_layer, vector_layer

from npukit.cost.fuse import find_fusions


def test_chain_of_post_ops_fuses():
    layers = [conv_layer(out="y"), vector_layer("add", "Add", ("y", "r"), "s", 128),
              vector_layer("relu", "Relu", ("s",), "z", 128)]
    f = find_fusions(layers)
    assert f.anchor == (0, 0, 0) and f.on_chip == {"y", "s"}


def test_two_readers_or_a_program_output_stop_fusion():
    layers = [conv_layer(out="y"), vector_layer("a", "Relu", ("y",), "p", 128),
              vector_layer("b", "Relu", ("y",), "q", 128)]
    assert find_fusions(layers).anchor == (0, 1, 2)
    single = [conv_layer(out="y"), vector_layer("a", "Relu", ("y",), "p", 128)]
    assert find_fusions(single, outputs=["y"]).anchor == (0, 1)
    assert find_fusions(single, enabled=False).anchor == (0, 1)


def test_cpu_consumer_does_not_fuse():
    layers = [conv_layer(out="y"), vector_layer("a", "Relu", ("y",), "p", 128, engine="cpu")]
    assert find_fusions(layers).anchor == (0, 1)


def test_reductions_do_not_fuse():
    layers = [conv_layer(out="y"), vector_layer("sm", "Softmax", ("y",), "p", 128)]
    assert find_fusions(layers).anchor == (0, 1)
