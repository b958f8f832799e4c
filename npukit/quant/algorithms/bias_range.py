"""Keep every int32 bias representable: widen the weight scale of dead channels.

The bias of output channel ``c`` is stored as ``round(b_c / (s_in · s_w[c]))``
in int32 (docs/numerics.md).  A channel whose weights are (nearly) all zero —
common after BatchNorm folding in EfficientNet / MobileNet, where the channel
then outputs the constant ``act(b_c)`` — gets a tiny ``s_w[c]`` from min/max,
and its bias code overflows int32 and saturates: the constant comes out wrong
by orders of magnitude.  Raising ``s_w[c]`` to ``|b_c| / (s_in · limit)``
costs nothing (such weights quantize to 0 either way) and keeps the bias, with
headroom (``limit`` = 2³⁰) for the accumulated products.
"""

from __future__ import annotations

import numpy as np

from npukit.ir import Graph, QuantParams

BIAS_LIMIT = float(2 ** 30)
BIASED_OPS = ("Conv", "ConvTranspose", "Gemm")


def fit_bias_range(g: Graph, limit: float = BIAS_LIMIT) -> dict[str, int]:
    """Widen weight scales in ``g`` (quantized, in place) so every Conv / ConvTranspose /
    Gemm bias code stays within ``±limit``; return node → number of channels widened."""
    widened: dict[str, int] = {}
    for node in g.nodes:
        if node.op_type not in BIASED_OPS or len(node.inputs) < 3 or not node.inputs[2]:
            continue
        xq = g.values[node.inputs[0]].quant
        wv = g.values[node.inputs[1]]
        b = g.const(node.inputs[2])
        if xq is None or wv.quant is None or b is None or xq.per_channel:
            continue
        wq = wv.quant
        alpha = float(node.attr("alpha", 1.0)) if node.op_type == "Gemm" else 1.0
        beta = float(node.attr("beta", 1.0)) if node.op_type == "Gemm" else 1.0
        bias = np.abs(np.asarray(b, np.float64).reshape(-1) * beta)
        need = bias / (float(xq.scale[0]) * abs(alpha) * limit) * (1.0 + 1e-6)
        scale = wq.scale.astype(np.float64)
        if scale.size == 1:
            need = np.array([need.max(initial=0.0)])
        elif node.op_type == "ConvTranspose" and need.size % scale.size == 0:
            need = need.reshape(-1, scale.size).max(axis=0)   # scales shared by groups
        elif need.size != scale.size:
            continue
        grow = need > scale
        if np.any(grow):
            new = np.where(grow, need, scale).astype(np.float32)
            wv.quant = QuantParams(wq.dtype, new, wq.zero_point, wq.axis)
            widened[node.name] = int(grow.sum())
    return widened
