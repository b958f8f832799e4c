"""Normalisations in integers: declared float, with the reason the placement report shows.

LayerNormalization needs a per-row mean, variance and inverse square root
whose integer forms (a wide division and a fixed-point rsqrt) npukit does not
define bit-exactly yet; it runs in float on the CPU between a Dequantize and a
Quantize record.
"""

from __future__ import annotations

from npukit.ir import Graph, Node
from npukit.ops.registry import LowerContext, lowering
from npukit.program import OpRecord


@lowering("LayerNormalization")
def lower_layernorm(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    return ("LayerNormalization runs in float on the CPU: its row mean, variance and "
            "inverse square root have no bit-exact integer definition in npukit yet")

