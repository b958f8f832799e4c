"""Helpers of the cost tests: a toy target whose numbers make cycle counts easy to work
by hand, and small layers, graphs and programs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import tomllib

from npukit.cost.layers import ConvGeom, Layer
from npukit.ir import Graph, Node, Value
from npukit.program import OpRecord, Program, ValueSpec
from npukit.targets import TargetProfile, profile_from_dict
from npukit.targets.registry import PROFILE_DIR

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))


def toy_dict(**npu: Any) -> dict[str, Any]:
    """nvdla-small's file with round numbers: 8×8 array, 1 GHz, 16 KiB buffer,
    1 GB/s DRAM at 100 %, no latency, 100 overhead cycles, efficiency 1."""
    with open(PROFILE_DIR / "nvdla-small.toml", "rb") as fh:
        d = tomllib.load(fh)
    d["name"] = "toy"
    d["npu"].update(cores=2, clock_mhz=1000.0, macs_per_cycle={"int8": 64, "fp16": 32},
                    atomic_c=8, atomic_k=8, winograd=False, conv_buffer_kb=16,
                    per_layer_overhead_cycles=100,
                    efficiency={k: 1.0 for k in ("conv", "depthwise", "gemm", "elementwise",
                                                 "pool")})
    d["npu"]["provenance"] = {}
    d["npu"].update(npu)
    d["memory"].update(dram_bandwidth_gbps=1.0, dram_efficiency=1.0, dram_latency_cycles=0)
    d["cpu"].update(gflops=1.0)
    return d


def toy_profile() -> TargetProfile:
    return profile_from_dict(toy_dict(), source="toy.toml")


def conv_layer(name: str = "c", cin: int = 8, cout: int = 8, hw: int = 4, k: int = 3,
               groups: int = 1, stride: int = 1, kind: str = "conv", inp: str = "x",
               out: str = "y", wbytes: int | None = None) -> Layer:
    """An int8 NPU conv layer with 'same' padding: hw×hw in and out."""
    geom = ConvGeom(1, cin, cout, groups, hw * hw, (k, k), (stride, stride), hw * cin * k)
    w = cout * (cin // groups) * k * k if wbytes is None else wbytes
    macs = hw * hw * cout * (cin // groups) * k * k
    return Layer(name, "Conv", kind, "npu", "int8", (inp,), (out,), (cin * hw * hw,),
                 (cout * hw * hw,), cout * hw * hw, macs, w, 0, geom, (name,))


def vector_layer(name: str, op: str, inputs: tuple[str, ...], out: str, elems: int,
                 engine: str = "npu", kind: str = "elementwise") -> Layer:
    dtype, size = ("int8", 1) if engine == "npu" else ("fp32", 4)
    return Layer(name, op, kind if engine == "npu" else "cpu", engine, dtype, inputs, (out,),
                 tuple(elems * size for _ in inputs), (elems * size,), elems, 0, 0,
                 elems * len(inputs), None, (name,))


def tiny_graph(with_topk: bool = False) -> Graph:
    """x[1,8,4,4] → Conv(8→16, 3×3) → Relu → (TopK on the CPU) → y."""
    g = Graph("tiny", opset=17)
    g.add_input("x", "float32", (1, 8, 4, 4))
    g.add_const("w", np.zeros((16, 8, 3, 3), np.float32))
    g.add_value(Value("c", "float32", (1, 16, 4, 4)))
    g.add_value(Value("r", "float32", (1, 16, 4, 4)))
    g.add_node(Node("conv", "Conv", ["x", "w"], ["c"], {"kernel_shape": [3, 3],
                                                         "pads": [1, 1, 1, 1]}))
    g.add_node(Node("relu", "Relu", ["c"], ["r"]))
    out = "r"
    if with_topk:
        g.add_const("k", np.array([2], np.int64))
        g.add_value(Value("v", "float32", (1, 16, 4, 2)))
        g.add_value(Value("i", "int64", (1, 16, 4, 2)))
        g.add_node(Node("topk", "TopK", ["r", "k"], ["v", "i"], {"axis": -1}))
        out = "v"
    g.outputs = [out]
    return g


def small_program() -> Program:
    values = {n: ValueSpec(n, d, s) for n, d, s in [
        ("x", "float32", (1, 8, 4, 4)), ("x@q", "int8", (1, 8, 4, 4)),
        ("y@q", "int8", (1, 16, 4, 4)), ("y", "float32", (1, 16, 4, 4))]}
    tensors = {"weights": np.zeros((16, 8, 3, 3), np.int8), "bias": np.zeros(16, np.int32),
               "multiplier": np.zeros(16, np.int32), "shift": np.zeros(16, np.int32)}
    records = [
        OpRecord("Quantize", "x@q", ["x"], ["x@q"], engine="cpu"),
        OpRecord("Conv", "conv", ["x@q"], ["y@q"], {"strides": [1, 1], "group": 1},
                 tensors, ("user_conv",)),
        OpRecord("Dequantize", "y@dq", ["y@q"], ["y"], engine="cpu")]
    return Program(records, values, ["x"], ["y"])
