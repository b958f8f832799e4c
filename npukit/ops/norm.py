"""Normalisations: BatchNormalization, InstanceNormalization, LayerNormalization,
RMSNormalization, GroupNormalization, LRN, MeanVarianceNormalization (float kernels).

Statistics are population mean / variance.  float16 inputs are normalised in
float32 (``stash_type`` = 1, ONNX's default for Layer/GroupNormalization) and
cast back, so short floats do not lose the variance.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from npukit.errors import ShapeError
from npukit.ir import Node
from npukit.ops.base import ints
from npukit.ops.registry import Op, TensorType, register
from npukit.ops.shapes import norm_axis, numel

_STASH = {1: np.float32, 10: np.float16, 11: np.float64}  # ONNX TensorProto codes


def _same(ins: Sequence[TensorType | None]) -> TensorType:
    t = ins[0]
    return TensorType(t.dtype if t else None, t.shape if t else None)


def _channel(p: np.ndarray, ndim: int) -> np.ndarray:
    """A per-channel (C,) parameter shaped to broadcast over (N, C, ...)."""
    return np.reshape(p, (1, -1) + (1,) * (ndim - 2))


def _wide(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) if x.dtype == np.float16 else x


def standardize(x: np.ndarray, axes: tuple[int, ...], eps: float) -> tuple[np.ndarray, ...]:
    """(x − mean) / √(var + eps) over ``axes``; also returns mean and 1/√(var + eps)."""
    mean = np.mean(x, axis=axes, keepdims=True)
    d = x - mean
    inv = 1 / np.sqrt(np.mean(d * d, axis=axes, keepdims=True) + np.asarray(eps, x.dtype))
    return d * inv, mean, inv


class _Norm(Op):
    def macs(self, node: Node, ins: Sequence[TensorType | None],
             outs: Sequence[TensorType | None]) -> int:
        return numel(ins[0].shape) if ins and ins[0] is not None else 0


@register
class BatchNormalization(_Norm):
    """Inference: running statistics; ``training_mode=1``: batch statistics, plus the
    updated running mean / variance as outputs 1 and 2."""

    op_type = "BatchNormalization"
    versions = (14, 15)

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        stat = ins[3]
        outs = [_same(ins)]
        for _ in node.outputs[1:]:
            outs.append(TensorType(stat.dtype if stat else None, stat.shape if stat else None))
        return outs

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, scale, bias, mean, var = inputs[:5]
        eps = float(node.attr("epsilon", 1e-5))
        outs: list[np.ndarray] = []
        if node.attr("training_mode", 0):
            axes = (0,) + tuple(range(2, x.ndim))
            xw = _wide(x)
            bmean, bvar = np.mean(xw, axis=axes), np.var(xw, axis=axes)
            mom = float(node.attr("momentum", 0.9))
            outs = [(mean * mom + bmean * (1 - mom)).astype(mean.dtype),
                    (var * mom + bvar * (1 - mom)).astype(var.dtype)]
            mean, var = bmean, bvar
        a = scale / np.sqrt(var + np.asarray(eps, var.dtype))
        y = (x - _channel(mean, x.ndim)) * _channel(a, x.ndim) + _channel(bias, x.ndim)
        return [y.astype(x.dtype, copy=False)] + outs[:len(node.outputs) - 1]


@register
class InstanceNormalization(_Norm):
    op_type = "InstanceNormalization"
    versions = (6, 22)

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [_same(ins)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, scale, bias = inputs
        y, _, _ = standardize(_wide(x), tuple(range(2, x.ndim)), node.attr("epsilon", 1e-5))
        y = y * _channel(scale, x.ndim) + _channel(bias, x.ndim)
        return [y.astype(x.dtype, copy=False)]


@register
class LayerNormalization(_Norm):
    """Normalise over axes ``[axis, rank)`` in the ``stash_type`` precision; Mean and
    InvStdDev (optional outputs) have that type and keep the reduced dims as 1."""

    op_type = "LayerNormalization"
    versions = (17,)

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        t = ins[0]
        stash = np.dtype(_STASH.get(int(node.attr("stash_type", 1)), np.float32)).name
        stat_shape = None
        if t is not None and t.shape is not None:
            ax = norm_axis(int(node.attr("axis", -1)), len(t.shape))
            stat_shape = tuple(t.shape[:ax]) + (1,) * (len(t.shape) - ax)
        return [_same(ins)] + [TensorType(stash, stat_shape)] * (len(node.outputs) - 1)

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, scale = inputs[0], inputs[1]
        bias = inputs[2] if len(inputs) > 2 else None
        ax = norm_axis(int(node.attr("axis", -1)), x.ndim)
        stash = _STASH.get(int(node.attr("stash_type", 1)), np.float32)
        xs = x.astype(stash, copy=False)
        y, mean, inv = standardize(xs, tuple(range(ax, x.ndim)), node.attr("epsilon", 1e-5))
        y = y.astype(x.dtype, copy=False) * scale
        if bias is not None:
            y = y + bias
        return [y.astype(x.dtype, copy=False), mean, inv][:max(len(node.outputs), 1)]


@register
class RMSNormalization(_Norm):
    """``x / √(mean(x²) + eps) · scale`` over axes ``[axis, rank)``, in ``stash_type``."""

    op_type = "RMSNormalization"
    versions = (23,)

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [_same(ins)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, scale = inputs[0], inputs[1]
        axes = tuple(range(norm_axis(int(node.attr("axis", -1)), x.ndim), x.ndim))
        xs = x.astype(_STASH.get(int(node.attr("stash_type", 1)), np.float32), copy=False)
        eps = np.asarray(node.attr("epsilon", 1e-5), xs.dtype)
        y = xs / np.sqrt(np.mean(xs * xs, axis=axes, keepdims=True) + eps)
        return [(y.astype(x.dtype, copy=False) * scale).astype(x.dtype, copy=False)]


@register
class GroupNormalization(_Norm):
    """Statistics per (instance, group).  Scale and bias are per channel (opset 21) or
    per group (opset 18); the shape tells them apart (they coincide when groups == C),
    which matters because onnx's version converter relabels 18 as 21 unchanged."""

    op_type = "GroupNormalization"
    versions = (18, 21)

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [_same(ins)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x, scale, bias = inputs
        groups = int(node.attr("num_groups"))
        n, c = x.shape[0], x.shape[1]
        if groups <= 0 or c % groups:
            raise ShapeError(f"GroupNormalization {node.name!r}: {c} channels do not split "
                             f"into num_groups={groups}")
        stash = _STASH.get(int(node.attr("stash_type", 1)), np.float32)
        xg = x.astype(stash, copy=False).reshape(n, groups, -1)
        y, _, _ = standardize(xg, (2,), node.attr("epsilon", 1e-5))
        y = y.reshape(x.shape).astype(x.dtype, copy=False)
        if np.size(scale) == groups != c:
            scale, bias = np.repeat(scale, c // groups), np.repeat(bias, c // groups)
        y = y * _channel(scale, x.ndim) + _channel(bias, x.ndim)
        return [y.astype(x.dtype, copy=False)]


@register
class LRN(_Norm):
    """Across-channel local response normalisation:
    ``y = x / (bias + alpha/size · Σ_window x²)^beta``."""

    op_type = "LRN"
    versions = (1, 13)

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [_same(ins)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        size = int(node.attr("size"))
        alpha = float(node.attr("alpha", 1e-4))
        beta = float(node.attr("beta", 0.75))
        bias = float(node.attr("bias", 1.0))
        xw = _wide(x)
        c = x.shape[1]
        lo, hi = (size - 1) // 2, size // 2  # floor / ceil of (size − 1) / 2
        widths = [(0, 0), (lo, hi)] + [(0, 0)] * (x.ndim - 2)
        sq = np.pad(xw * xw, widths)
        acc = np.zeros_like(xw)
        for k in range(size):  # one shifted slice per tap of the window
            acc += sq[:, k:k + c]
        y = xw / (bias + (alpha / size) * acc) ** beta
        return [y.astype(x.dtype, copy=False)]

    def macs(self, node: Node, ins: Sequence[TensorType | None],
             outs: Sequence[TensorType | None]) -> int:
        return super().macs(node, ins, outs) * int(node.attr("size", 1))


@register
class MeanVarianceNormalization(_Norm):
    """``(x − E x) / (√Var x + 1e-9)`` over ``axes`` (default [0, 2, 3])."""

    op_type = "MeanVarianceNormalization"
    versions = (9, 13)

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [_same(ins)]

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        x = inputs[0]
        xw = _wide(x)
        axes = tuple(sorted({norm_axis(a, x.ndim) for a in ints(node, "axes", [0, 2, 3])}))
        d = xw - np.mean(xw, axis=axes, keepdims=True)
        std = np.sqrt(np.mean(d * d, axis=axes, keepdims=True))
        return [(d / (std + np.asarray(1e-9, xw.dtype))).astype(x.dtype, copy=False)]
