"""The cost model's view of one layer: what it reads, writes, holds and computes.

Both entry points — a lowered :class:`~npukit.program.Program` and an
optimised float IR graph — are first turned into a list of :class:`Layer`
(``from_program.py`` / ``from_graph.py``), so the compute, memory and timing
modules see one shape of data.  Sizes are bytes as the target stores them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: Layer kinds.  The first five match ``npu.efficiency`` keys of a profile.
KINDS = ("conv", "depthwise", "gemm", "elementwise", "pool",
         "move", "view", "convert", "cpu")
#: Kinds whose compute uses the MAC array (cycles from atomic sizes).
ARRAY_KINDS = frozenset({"conv", "depthwise", "gemm"})
#: Kinds that run on the vector / pooling units.
VECTOR_KINDS = frozenset({"elementwise", "pool"})

#: NPU records by kernel name → kind (``Conv`` is refined by its groups).
KERNEL_KINDS = {
    "Conv": "conv", "ConvTranspose": "conv", "MatMul": "gemm", "Add": "elementwise",
    "Mul": "elementwise", "Clamp": "elementwise", "Lut": "elementwise", "MaxPool": "pool",
    "AveragePool": "pool", "GlobalPool": "pool", "Concat": "move", "Move": "move",
    "Quantize": "convert", "Dequantize": "convert", "ResizeLinear": "move",
    "Softmax": "elementwise",
}
#: Elementwise ops a conv pipeline's output stage applies on the fly (NVDLA SDP):
#: per-element, no reduction across the tensor.
FUSABLE_OPS = frozenset({
    "Add", "Sub", "Mul", "Div", "Sum", "Clamp", "Clip", "Relu", "LeakyRelu", "PRelu",
    "Sigmoid", "Tanh", "HardSwish", "HardSigmoid", "Swish", "Elu", "Selu", "Gelu", "Erf",
    "BatchNormalization", "Exp", "Softplus", "Mish"})
#: ONNX ops that only relabel a tensor's shape: no data moves on the NPU.
VIEW_OPS = frozenset({"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"})
#: ONNX ops by kind, for the graph path (anything else with MACs is ``elementwise``).
OP_KINDS = {
    "Conv": "conv", "ConvTranspose": "conv", "Gemm": "gemm", "MatMul": "gemm",
    "MaxPool": "pool", "AveragePool": "pool", "GlobalAveragePool": "pool",
    "GlobalMaxPool": "pool", "LpPool": "pool", "Concat": "move", "Transpose": "move",
    "Slice": "move", "Split": "move", "Pad": "move", "Resize": "move", "Gather": "move",
    "Tile": "move", "Expand": "move", "DepthToSpace": "move", "SpaceToDepth": "move",
}
#: Float operations per output element of a CPU layer without MACs (assumed costs).
CPU_FLOPS_PER_ELEM = {"Exp": 8.0, "Sigmoid": 10.0, "Tanh": 10.0, "Softmax": 12.0,
                      "Erf": 10.0, "Gelu": 12.0, "Log": 8.0, "Resize": 6.0,
                      "LayerNormalization": 8.0, "Quantize": 4.0, "Dequantize": 2.0}


@dataclass(frozen=True)
class ConvGeom:
    """Array geometry of a conv or GEMM layer (a GEMM is a 1×1 conv over its rows)."""

    batch: int
    cin: int
    cout: int
    groups: int
    out_pixels: int               # output positions per image (P·Q; GEMM: rows)
    kernel: tuple[int, ...]       # (R, S) or (1,) for GEMM
    strides: tuple[int, ...]
    slice_bytes: int              # smallest input slice: the input rows one output row needs

    @property
    def taps(self) -> int:
        return math.prod(self.kernel)


@dataclass
class Layer:
    """One record (or graph node) as the estimator sees it."""

    name: str
    op: str                          # ONNX op type (or record kernel) shown to the user
    kind: str                        # one of KINDS
    engine: str                      # "npu" or "cpu"
    dtype: str                       # profile dtype key of the arithmetic ("int8", "fp16" …)
    inputs: tuple[str, ...]          # activation values read
    outputs: tuple[str, ...]
    in_bytes: tuple[int, ...]
    out_bytes: tuple[int, ...]
    out_elems: int
    macs: int = 0
    weight_bytes: int = 0
    work: int = 0                    # vector ops: element-operations (taps × outputs)
    geom: ConvGeom | None = None
    sources: tuple[str, ...] = ()
    reason: str = ""
    io: bool = False                 # converts a program input or output at the boundary
    flops_per_elem: float = 1.0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def user_name(self) -> str:
        """The user's node name(s) this layer came from (the record name otherwise)."""
        return "+".join(self.sources) if self.sources else self.name


def itemsize(dtype: str) -> int:
    """Bytes per element of an IR dtype name (``int8`` → 1, ``float16`` → 2 …)."""
    for key, size in (("int4", 1), ("8", 1), ("16", 2), ("32", 4), ("64", 8)):
        if key in dtype:
            return size
    return 1 if dtype == "bool" else 4


def numel(shape: tuple[int, ...] | list[int] | None) -> int:
    """Elements of a static shape (unknown dims count as 1)."""
    return math.prod(d if isinstance(d, int) and d > 0 else 1 for d in (shape or ()))


def conv_kind(cin: int, cout: int, groups: int) -> str:
    """``depthwise`` when every group has one input channel, else ``conv``."""
    return "depthwise" if groups > 1 and groups == cin and cout % cin == 0 else "conv"
