"""Quantized models shared by the partition, compiler and runtime tests (cached)."""

from __future__ import annotations

from functools import cache

import numpy as np

from npukit.ir import Graph, Node
from npukit.ops import infer_graph
from npukit.quant.config import QuantConfig
from npukit.quant.quantizer import QuantizedModel, quantize


@cache
def demo_model(weights: str = "int8") -> QuantizedModel:
    """The embedded MNIST CNN quantized on 20 calibration digits."""
    from npukit import demo
    from npukit.api import load
    m = load(str(demo.MODEL), input_shapes={"image": [1, 1, 28, 28]})
    meta = demo.meta()
    x = demo.calibration().tensors(meta["mean"], meta["std"])[:20]
    return quantize(m.graph, [{"image": x[i:i + 1]} for i in range(len(x))],
                    QuantConfig(weights=weights), show_progress=False)


def demo_inputs(n: int = 4, batch: int = 1) -> list[np.ndarray]:
    from npukit import demo
    meta = demo.meta()
    x = demo.heldout().tensors(meta["mean"], meta["std"])
    return [np.ascontiguousarray(x[i * batch:(i + 1) * batch]) for i in range(n)]


def small_graph() -> Graph:
    """Conv, Relu, Add (residual), Mul, Sigmoid, MaxPool, Transpose, Flatten, Gemm, Softmax."""
    rng = np.random.default_rng(7)
    g = Graph("several_ops", 17)
    g.add_input("x", "float32", (1, 3, 8, 8))
    g.add_const("w1", (rng.standard_normal((4, 3, 3, 3)) * 0.3).astype(np.float32))
    g.add_const("b1", (rng.standard_normal(4) * 0.1).astype(np.float32))
    g.add_const("w2", (rng.standard_normal((4, 4, 1, 1)) * 0.5).astype(np.float32))
    g.add_const("k", np.array(0.75, np.float32))
    g.add_const("wg", (rng.standard_normal((64, 5)) * 0.2).astype(np.float32))
    g.add_const("bg", (rng.standard_normal(5) * 0.1).astype(np.float32))
    nodes = [
        Node("conv1", "Conv", ["x", "w1", "b1"], ["c1"], {"pads": [1, 1, 1, 1]}),
        Node("relu1", "Relu", ["c1"], ["r1"]),
        Node("conv2", "Conv", ["r1", "w2"], ["c2"]),
        Node("add1", "Add", ["r1", "c2"], ["a1"]),
        Node("mul1", "Mul", ["a1", "k"], ["m1"]),
        Node("sig1", "Sigmoid", ["m1"], ["s1"]),
        Node("pool1", "MaxPool", ["s1"], ["p1"], {"kernel_shape": [2, 2], "strides": [2, 2]}),
        Node("tr1", "Transpose", ["p1"], ["t1"], {"perm": [0, 1, 3, 2]}),
        Node("flat1", "Flatten", ["t1"], ["f1"]),
        Node("gemm1", "Gemm", ["f1", "wg", "bg"], ["y1"]),
        Node("soft1", "Softmax", ["y1"], ["y"]),
    ]
    for n in nodes:
        g.add_node(n)
    g.outputs = ["y"]
    infer_graph(g)
    return g


def small_inputs(n: int = 8, batch: int = 1, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((batch, 3, 8, 8)).astype(np.float32) for _ in range(n)]


@cache
def small_model() -> QuantizedModel:
    return quantize(small_graph(), [{"x": a} for a in small_inputs()], show_progress=False)
