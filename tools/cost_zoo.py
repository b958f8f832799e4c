"""Validation models for the cost model, built with the ONNX helper API from their
published architectures (weights are seeded noise: timing does not depend on them).

* MobileNetV2 1.0 / 224 (Sandler et al. 2018, Table 2): stem 3×3/2 conv,
  17 inverted-residual blocks (t, c, n, s), 1×1 conv to 1280, pool, FC 1000.
* ResNeXt50-32x4d (Xie et al. 2017, Table 1; torchvision layout: stride on the
  grouped 3×3): 7×7/2 stem, max pool, stages of 3/4/6/3 bottlenecks with
  32-group 3×3 convs of width 128/256/512/1024, pool, FC 1000.
* ResNet-50: the ``light_resnet50.onnx`` that ships in the onnx wheel, its
  two-input ``Sum`` nodes renamed ``Add`` (the same op; NVDLA's op list names Add).

Used by tools/fit_cost_model.py, benchmarks/bench_cost_validation.py and
tests/cost/test_validation.py.  Models are cached under ``out/cost_zoo/``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "out" / "cost_zoo"
MBV2_BLOCKS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
               (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


class _Net:
    def __init__(self, seed: int = 0) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.rng = np.random.default_rng(seed)
        self.n = 0

    def name(self, kind: str) -> str:
        self.n += 1
        return f"{kind}_{self.n}"

    def const(self, arr: np.ndarray, kind: str) -> str:
        name = self.name(kind)
        self.inits.append(numpy_helper.from_array(arr.astype(np.float32), name))
        return name

    def conv(self, x: str, cin: int, cout: int, k: int, stride: int = 1, group: int = 1,
             act: str | None = "relu") -> str:
        w = self.rng.standard_normal((cout, cin // group, k, k)) * np.sqrt(2.0 / (cin * k * k))
        b = np.zeros(cout)
        y = self.name("conv")
        self.nodes.append(helper.make_node(
            "Conv", [x, self.const(w, "w"), self.const(b, "b")], [y], name=y,
            kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4, group=group))
        return self.act(y, act)

    def act(self, x: str, act: str | None) -> str:
        if act is None:
            return x
        y = self.name(act)
        if act == "relu6":
            lo, hi = self.const(np.array(0.0), "lo"), self.const(np.array(6.0), "hi")
            self.nodes.append(helper.make_node("Clip", [x, lo, hi], [y], name=y))
        else:
            self.nodes.append(helper.make_node("Relu", [x], [y], name=y))
        return y

    def op(self, op: str, inputs: list[str], **attrs: object) -> str:
        y = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [y], name=y, **attrs))
        return y

    def head(self, x: str, cin: int) -> str:
        p = self.op("GlobalAveragePool", [x])
        f = self.op("Flatten", [p], axis=1)
        w = self.rng.standard_normal((1000, cin)) * 0.01
        return self.op("Gemm", [f, self.const(w, "fc_w"), self.const(np.zeros(1000), "fc_b")],
                       transB=1)

    def model(self, name: str, x: str, y: str) -> onnx.ModelProto:
        g = helper.make_graph(
            self.nodes, name,
            [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 3, 224, 224])],
            [helper.make_tensor_value_info(y, TensorProto.FLOAT, [1, 1000])], self.inits)
        return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def mobilenet_v2() -> onnx.ModelProto:
    """MobileNetV2 1.0, 224×224 input (≈300 M MACs, 3.5 M parameters)."""
    net = _Net(1)
    x = net.conv("input", 3, 32, 3, 2, act="relu6")
    cin = 32
    for t, c, n, s in MBV2_BLOCKS:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            y = net.conv(x, cin, hidden, 1, act="relu6") if t != 1 else x
            y = net.conv(y, hidden, hidden, 3, stride, group=hidden, act="relu6")
            y = net.conv(y, hidden, c, 1, act=None)
            x = net.op("Add", [x, y]) if stride == 1 and cin == c else y
            cin = c
    x = net.conv(x, cin, 1280, 1, act="relu6")
    return net.model("mobilenet_v2", "input", net.head(x, 1280))


def resnext50_32x4d() -> onnx.ModelProto:
    """ResNeXt50-32x4d, 224×224 input (≈4.2 G MACs, 25 M parameters)."""
    net = _Net(2)
    x = net.conv("input", 3, 64, 7, 2)
    x = net.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for stage, blocks in enumerate((3, 4, 6, 3)):
        width, cout = 128 * 2**stage, 256 * 2**stage
        for i in range(blocks):
            stride = 2 if i == 0 and stage > 0 else 1
            y = net.conv(x, cin, width, 1)
            y = net.conv(y, width, width, 3, stride, group=32)
            y = net.conv(y, width, cout, 1, act=None)
            short = net.conv(x, cin, cout, 1, stride, act=None) if i == 0 else x
            x = net.act(net.op("Add", [short, y]), "relu")
            cin = cout
    return net.model("resnext50_32x4d", "input", net.head(x, 2048))


def resnet50() -> onnx.ModelProto:
    """The onnx wheel's light ResNet-50, two-input ``Sum`` renamed ``Add``."""
    from npukit.frontends.onnx.zoo import light_model_path
    m = onnx.load(str(light_model_path("resnet50")))
    for node in m.graph.node:
        if node.op_type == "Sum" and len(node.input) == 2:
            node.op_type = "Add"
    return m


BUILDERS = {"resnet50": resnet50, "mobilenet_v2": mobilenet_v2,
            "resnext50_32x4d": resnext50_32x4d}


def model_path(name: str) -> Path:
    """The model's ONNX file (built once, then cached)."""
    path = CACHE / f"{name}.onnx"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        onnx.save(BUILDERS[name](), str(path))
    return path
