"""Elementwise activations (float kernels)."""

from __future__ import annotations

import numpy as np

from npukit.ir import Node
from npukit.ops.base import Unary
from npukit.ops.registry import register


@register
class Relu(Unary):
    op_type = "Relu"
    versions = (6, 13, 14)

    def fn(self, node: Node, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, np.zeros((), x.dtype))
