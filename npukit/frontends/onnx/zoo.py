"""The "light" model architectures that ship inside the ``onnx`` wheel.

They are real ImageNet architectures (ResNet-50, SqueezeNet, DenseNet-121 …)
whose weights were replaced by ``ConstantOfShape`` fills to keep the wheel
small.  ``randomized`` swaps those fills for seeded, He-scaled random weights
and plausible BatchNorm statistics, so tests and benchmarks exercise real,
non-degenerate activations.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

LIGHT_DIR = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"


def light_models() -> list[str]:
    """Names of the light models (``resnet50``, ``squeezenet`` …)."""
    return sorted(p.stem.removeprefix("light_") for p in LIGHT_DIR.glob("light_*.onnx"))


def light_model_path(name: str) -> Path:
    return LIGHT_DIR / f"light_{name}.onnx"


def randomized(model: onnx.ModelProto, seed: int = 0) -> onnx.ModelProto:
    """A copy of ``model`` with every ConstantOfShape weight fill made a seeded random
    initializer, scaled by the role of the tensor in its consumer."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    rng = np.random.default_rng(seed)
    shapes = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    roles = {}
    for n in m.graph.node:
        for k, i in enumerate(n.input):
            roles.setdefault(i, (n.op_type, k))
    keep = []
    for n in m.graph.node:
        if n.op_type != "ConstantOfShape" or n.input[0] not in shapes:
            keep.append(n)
            continue
        shape = tuple(int(d) for d in shapes[n.input[0]])
        arr = _fill(rng, shape, roles.get(n.output[0], ("", -1)))
        m.graph.initializer.append(numpy_helper.from_array(arr, n.output[0]))
    del m.graph.node[:]
    m.graph.node.extend(keep)
    m.ir_version = max(m.ir_version, 4)   # IR ≥ 4: initializers need not be graph inputs
    return m


def _fill(rng: np.random.Generator, shape: tuple, role: tuple[str, int]) -> np.ndarray:
    op, k = role
    if op in ("Conv", "Gemm") and k == 1:
        fan_in = int(np.prod(shape[1:])) if op == "Conv" else shape[-1]
        return (rng.standard_normal(shape) * np.sqrt(2.0 / max(fan_in, 1))).astype(np.float32)
    if op == "BatchNormalization":
        if k in (1, 4):        # scale, variance: positive, near 1
            return rng.uniform(0.5, 1.5, shape).astype(np.float32)
        return (rng.standard_normal(shape) * 0.1).astype(np.float32)
    return (rng.standard_normal(shape) * 0.05).astype(np.float32)
