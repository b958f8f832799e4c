"""Add, Sub and Mul in integers: lowering rules, fast kernels and references.

Arithmetic (docs/numerics.md §"elementwise"), with ``rq(v, m)`` the
single-rounding ``requantize`` of ``v`` by the (Q31 multiplier, shift) pair
of real ``m`` in the target's rounding mode:

* **Add / Sub** (TFLite's integer Add, one rounding per step):
  ``S = 2·max(s_a, s_b)``; each input is centred and shifted left by ``L``
  (20 for ≤ 8-bit inputs, 15 for 16-bit) for headroom, then brought to the
  common scale ``S·2^-L``: ``a' = rq((q_a − zp_a)·2^L, s_a / S)`` (saturated
  to int32, never reached), likewise ``b'``; ``y = rq(a' ± b', S / (2^L·s_y))
  + zp_y``, clamped to the dtype and the fused Relu / Clip bounds.
* **Mul**: ``y = rq((q_a − zp_a)·(q_b − zp_b), s_a·s_b / s_y) + zp_y``, clamped.

Inputs broadcast as NumPy does.  A constant input (a float tensor in the
graph) is quantized here, per tensor, from its own range: symmetric when the
activation input is (signed, zero point 0), else asymmetric; its codes are
stored in the record as ``const`` with ``const_input`` naming its position.
Record tensors: ``multiplier`` / ``shift`` int32 ([a, b, out] for Add, [out]
for Mul).  Attrs: ``a_zp``, ``b_zp``, ``left_shift``, ``sub``, output attrs.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from npukit.ir import Graph, Node, QuantParams
from npukit.numerics.fixedpoint import quantize_multiplier, requantize, requantize_ref
from npukit.numerics.quantize import choose_qparams, quantize
from npukit.numerics.rounding import RoundingMode
from npukit.ops.qlower import clamp_bounds, out_attrs, qparams
from npukit.ops.registry import (
    IntKernel,
    LowerContext,
    lowering,
    plan_per_dtype,
    register_kernel,
)
from npukit.program import OpRecord


def const_params(c: np.ndarray, like: QuantParams) -> QuantParams:
    """Per-tensor params for constant ``c`` in ``like``'s dtype, from ``c``'s own range."""
    symmetric = like.qmin < 0 and int(like.zero_point[0]) == 0
    lo, hi = (float(c.min()), float(c.max())) if c.size else (0.0, 0.0)
    s, z = choose_qparams(lo, hi, like.dtype, symmetric)
    return QuantParams(like.dtype, np.asarray(s).reshape(1), np.asarray(z).reshape(1))


def _operand_params(node: Node, g: Graph, ctx: LowerContext
                    ) -> tuple[list[QuantParams], dict, dict] | str:
    """Params of both inputs (constants quantized here), extra attrs and tensors."""
    names = node.inputs[:2]
    consts = [g.values[n].const for n in names]
    if all(c is not None for c in consts):
        return f"{node.op_type} of two constants (fold it before lowering)"
    act = qparams(g, names[0] if consts[0] is None else names[1])
    params: list[QuantParams] = []
    attrs: dict = {"const_input": None}
    tensors: dict = {}
    for k, (n, c) in enumerate(zip(names, consts)):
        if c is None:
            params.append(qparams(g, n))
            continue
        q = const_params(np.asarray(c, np.float64), act)
        tensors["const"] = quantize(np.asarray(c, np.float64), np.float64(q.scale[0]),
                                    int(q.zero_point[0]), q.dtype, RoundingMode.parse(
                                        ctx.rounding))
        attrs["const_input"] = k
        params.append(q)
    if any(q.per_channel for q in params) or qparams(g, node.outputs[0]).per_channel:
        return f"per-channel params on an integer {node.op_type} input or output"
    attrs.update(a_zp=int(params[0].zero_point[0]), b_zp=int(params[1].zero_point[0]))
    return params, attrs, tensors


def _lower_add(node: Node, g: Graph, ctx: LowerContext, sub: bool) -> OpRecord | str:
    got = _operand_params(node, g, ctx)
    if isinstance(got, str):
        return got
    (qa, qb), attrs, tensors = got
    qy = qparams(g, node.outputs[0])
    bounds = clamp_bounds(node, qy, ctx.rounding)
    if isinstance(bounds, str):
        return bounds
    left = 15 if max(qa.bits, qb.bits) > 8 else 20
    sa, sb, sy = (np.float64(q.scale[0]) for q in (qa, qb, qy))
    twice = 2.0 * max(sa, sb)
    mult, shift = quantize_multiplier(np.array([sa / twice, sb / twice,
                                                twice / (2.0**left * sy)]))
    attrs.update(left_shift=left, sub=sub, **out_attrs(qy, bounds, ctx.rounding))
    tensors.update(multiplier=mult, shift=shift)
    return OpRecord("Add", node.name, [], [], attrs, tensors)


@lowering("Add")
def lower_add(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    return _lower_add(node, g, ctx, sub=False)


@lowering("Sum")
def lower_sum(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    """Two-input Sum (Caffe2-era residual adds) is Add; longer sums run in float."""
    if len([i for i in node.inputs if i]) != 2:
        return f"Sum of {len(node.inputs)} inputs has no integer kernel (two inputs do)"
    return _lower_add(node, g, ctx, sub=False)


@lowering("Sub")
def lower_sub(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    return _lower_add(node, g, ctx, sub=True)


@lowering("Mul")
def lower_mul(node: Node, g: Graph, ctx: LowerContext) -> OpRecord | str:
    got = _operand_params(node, g, ctx)
    if isinstance(got, str):
        return got
    (qa, qb), attrs, tensors = got
    qy = qparams(g, node.outputs[0])
    bounds = clamp_bounds(node, qy, ctx.rounding)
    if isinstance(bounds, str):
        return bounds
    real = np.float64(qa.scale[0]) * np.float64(qb.scale[0]) / np.float64(qy.scale[0])
    mult, shift = quantize_multiplier(np.array([real]))
    attrs.update(out_attrs(qy, bounds, ctx.rounding))
    tensors.update(multiplier=mult, shift=shift)
    return OpRecord("Mul", node.name, [], [], attrs, tensors)


def _codes(rec: OpRecord, inputs: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Both operands' codes as stored (the constant one from the record)."""
    it = iter(inputs)
    k = rec.attrs["const_input"]
    a = rec.tensors["const"] if k == 0 else next(it)
    b = rec.tensors["const"] if k == 1 else next(it)
    return a, b


def _operands(rec: OpRecord, inputs: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Centred int64 codes of both operands."""
    a, b = _codes(rec, inputs)
    return (a.astype(np.int64) - rec.attrs["a_zp"], b.astype(np.int64) - rec.attrs["b_zp"])


def _out(rec: OpRecord, acc: np.ndarray, i: int, ref: bool) -> np.ndarray:
    a, fn = rec.attrs, requantize_ref if ref else requantize
    return fn(acc, int(rec.tensors["multiplier"][i]), int(rec.tensors["shift"][i]),
              a["out_zp"], a["out_dtype"], a["rounding"], a["clamp_min"], a["clamp_max"])


def _add(rec: OpRecord, inputs: Sequence[np.ndarray], ref: bool) -> np.ndarray:
    a, b = _operands(rec, inputs)
    m, s, left = rec.tensors["multiplier"], rec.tensors["shift"], rec.attrs["left_shift"]
    fn, mode = (requantize_ref if ref else requantize), rec.attrs["rounding"]
    a1 = fn(a << left, int(m[0]), int(s[0]), 0, "int32", mode).astype(np.int64)
    b1 = fn(b << left, int(m[1]), int(s[1]), 0, "int32", mode).astype(np.int64)
    return _out(rec, a1 - b1 if rec.attrs["sub"] else a1 + b1, 2, ref)


class _PairTable:
    """An 8-bit binary kernel as a 256×256 table of its exact formula, built once.

    ``table[i, j]`` is the kernel's own fast formula (property-tested equal to
    the reference) on codes whose uint8 bit patterns are ``i`` and ``j``, so
    a lookup by the operands' bytes is the same function, bit for bit, at one
    gather per output element instead of three int64 requantizations.
    """

    def __init__(self, rec: OpRecord, fn: Callable[..., np.ndarray],
                 dtypes: tuple[np.dtype, np.dtype]) -> None:
        self.rec = rec
        grid = np.arange(256, dtype=np.uint8)
        a = grid.view(dtypes[0])[:, None]
        b = grid.view(dtypes[1])[None, :]
        free = OpRecord(rec.kernel, rec.name, [], [], {**rec.attrs, "const_input": None},
                        rec.tensors)
        self.table = np.ascontiguousarray(fn(free, [a, b], ref=False)).ravel()

    def __call__(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        a, b = _codes(self.rec, inputs)
        idx = a.view(np.uint8).astype(np.uint16) << 8
        idx = idx | b.view(np.uint8)
        return [self.table.take(idx)]


def _prepare_pairwise(rec: OpRecord, fn: Callable[..., np.ndarray], kernel: IntKernel
                      ) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """A table per pair of 8-bit operand dtypes (built on first use); others run ``fn``."""
    def build(dtypes: tuple[np.dtype, np.dtype]) -> Callable[..., list[np.ndarray]]:
        if dtypes[0].itemsize == 1 and dtypes[1].itemsize == 1:
            return _PairTable(rec, fn, dtypes)
        return lambda ins: kernel.run(rec, ins)
    return plan_per_dtype(build, key=lambda ins: tuple(c.dtype for c in _codes(rec, ins)))


def _mul(rec: OpRecord, inputs: Sequence[np.ndarray], ref: bool) -> np.ndarray:
    a, b = _operands(rec, inputs)
    return _out(rec, a * b, 0, ref=ref)


@register_kernel
class AddKernel(IntKernel):
    """Add / Sub: both inputs rescaled to a common scale with headroom, summed, requantized."""

    name = "Add"

    def prepare(self, rec: OpRecord) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
        return _prepare_pairwise(rec, _add, self)

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [_add(rec, inputs, ref=False)]

    def ref(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [_add(rec, inputs, ref=True)]


@register_kernel
class MulKernel(IntKernel):
    """Mul: product of centred codes, one requantization."""

    name = "Mul"

    def prepare(self, rec: OpRecord) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
        return _prepare_pairwise(rec, _mul, self)

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [_mul(rec, inputs, ref=False)]

    def ref(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Per element in Python integers: the centred product, then requantize_ref."""
        a, b = np.broadcast_arrays(*_operands(rec, inputs))
        acc = np.empty(a.shape, np.int64)
        for idx in np.ndindex(a.shape):
            acc[idx] = int(a[idx]) * int(b[idx])
        return [_out(rec, acc, 0, ref=True)]
