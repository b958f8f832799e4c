"""The op contract and the explicit registry.

One op = one small class (ONNX reference-evaluator style): ``infer`` gives
output types from input types (and constant inputs where the shape depends
on data), ``run`` is the NumPy float kernel, ``macs`` counts multiply-adds
for reports.  Integer kernels (slow reference + fast version) and the
quantization rule live beside them from the quantization issue on.

``versions`` lists the ONNX *since-versions* whose semantics the class
implements; the importer refuses a node whose schema version at the model's
opset is not listed, so a semantic change in a new opset is never run with
the old meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Sequence

import numpy as np

from npukit.errors import UnsupportedOpError
from npukit.ir import Graph, Node
from npukit.program import OpRecord


@dataclass(frozen=True)
class TensorType:
    dtype: str | None
    shape: tuple | None


class Op:
    """Base class of every op.  Subclasses set ``op_type`` and ``versions``."""

    op_type: ClassVar[str] = ""
    domain: ClassVar[str] = ""
    versions: ClassVar[tuple[int, ...]] = ()

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        raise NotImplementedError(f"{self.op_type}.infer")

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        raise NotImplementedError(f"{self.op_type}.run")

    def macs(self, node: Node, ins: Sequence[TensorType | None],
             outs: Sequence[TensorType | None]) -> int:
        """Multiply-accumulates of one run (0 for data movement and cheap elementwise)."""
        return 0

    # ---- quantization: see ``lowering`` below and docs/numerics.md ----------
    def lower_int(self, node: Node, g: Graph, ctx: "LowerContext") -> OpRecord | str:
        """The integer record for ``node`` (its values carry QuantParams), or a
        user-facing reason why it must run in float."""
        low = _LOWERINGS.get(lowering_key(self.op_type, self.domain))
        if low is None:
            return f"{self.op_type} has no integer kernel in npukit yet"
        return low.fn(node, g, ctx)

    @property
    def quant_rule(self) -> str:
        """How the quantizer picks output params: ``observe`` (own calibrated range),
        ``same_as_input`` (data movement / max: shares input 0's params, so the
        integer kernel moves codes), ``none`` (integer-valued outputs)."""
        low = _LOWERINGS.get(lowering_key(self.op_type, self.domain))
        return low.quant_rule if low else "observe"

    def weight_axes(self, node: Node) -> dict[int, int]:
        """Input index → output-channel axis of each weight input (per-channel
        symmetric quantization); empty for ops without weights."""
        low = _LOWERINGS.get(lowering_key(self.op_type, self.domain))
        return low.weight_axes(node) if low and low.weight_axes else {}


LowerFn = Callable[[Node, Graph, "LowerContext"], "OpRecord | str"]


@dataclass(frozen=True)
class Lowering:
    """The integer side of one op type, declared by its ``*_int.py`` module."""

    fn: LowerFn
    quant_rule: str = "observe"
    weight_axes: Callable[[Node], dict[int, int]] | None = None


_LOWERINGS: dict[str, Lowering] = {}


def lowering_key(op_type: str, domain: str = "") -> str:
    """Registry key of an op's lowering: ``op_type``, or ``domain::op_type`` outside
    the default domain (``npukit::Swish``)."""
    return f"{domain}::{op_type}" if domain not in ("", "ai.onnx") else op_type


def lowering(op_type: str, *, quant_rule: str = "observe",
             weight_axes: Callable[[Node], dict[int, int]] | None = None
             ) -> Callable[[LowerFn], LowerFn]:
    """Decorator: ``fn(node, graph, ctx) -> OpRecord | reason`` lowers ``op_type``."""
    if quant_rule not in ("observe", "same_as_input", "none"):
        raise RuntimeError(f"unknown quant rule {quant_rule!r}")

    def deco(fn: LowerFn) -> LowerFn:
        if op_type in _LOWERINGS:
            raise RuntimeError(f"integer lowering for {op_type!r} registered twice")
        _LOWERINGS[op_type] = Lowering(fn, quant_rule, weight_axes)
        return fn
    return deco


def has_lowering(op_type: str) -> bool:
    return op_type in _LOWERINGS


@dataclass(frozen=True)
class LowerContext:
    """Target facts lowering needs: the rounding mode and accumulator rules."""

    rounding: str = "half_away_from_zero"


class IntKernel:
    """An integer kernel, run from an :class:`OpRecord`.

    ``run`` is the fast version; ``ref`` the slow, obviously-correct reference
    in plain integer arithmetic.  When ``exact`` they must agree to the bit
    (property-tested); otherwise ``tolerance`` states the allowed difference.
    """

    name: ClassVar[str] = ""
    exact: ClassVar[bool] = True

    def run(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        raise NotImplementedError(self.name)

    def ref(self, rec: OpRecord, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        raise NotImplementedError(self.name)

    def prepare(self, rec: OpRecord) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
        """``run`` bound to ``rec``; kernels that plan (pack weights, fold zero points,
        build requantization tables) do it here, once per record, not once per run."""
        return lambda inputs: self.run(rec, inputs)


Run = Callable[[Sequence[np.ndarray]], list[np.ndarray]]


def plan_per_dtype(build: Callable[[Any], Run],
                   key: Callable[[Sequence[np.ndarray]], Any] = lambda ins: ins[0].dtype
                   ) -> Run:
    """A runner that plans on first use for each input dtype (or ``key`` of the inputs),
    with ``build(key) -> runner``: records do not store their input dtypes.  Building
    twice from two threads is harmless (plans are pure functions of the record)."""
    plans: dict[Any, Run] = {}

    def run(inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        k = key(inputs)
        fn = plans.get(k)
        if fn is None:
            fn = plans[k] = build(k)
        return fn(inputs)
    return run


_KERNELS: dict[str, IntKernel] = {}


def register_kernel(cls: type[IntKernel]) -> type[IntKernel]:
    if not cls.name or cls.name in _KERNELS:
        raise RuntimeError(f"integer kernel {cls.name!r} unnamed or registered twice")
    _KERNELS[cls.name] = cls()
    return cls


def get_kernel(name: str) -> IntKernel:
    k = _KERNELS.get(name)
    if k is None:
        raise UnsupportedOpError(name, "?", detail="no integer kernel of this name "
                                 "(the .npk was written by a newer npukit?)")
    return k


def registered_kernels() -> dict[str, IntKernel]:
    return dict(sorted(_KERNELS.items()))


_REGISTRY: dict[tuple[str, str], Op] = {}


def register(cls: type[Op]) -> type[Op]:
    """Class decorator: add one instance of ``cls`` to the registry."""
    key = (cls.domain, cls.op_type)
    if key in _REGISTRY:
        raise RuntimeError(f"op {cls.op_type!r} registered twice")
    if not cls.versions:
        raise RuntimeError(f"op {cls.op_type!r} declares no ONNX versions")
    _REGISTRY[key] = cls()
    return cls


def get_op(op_type: str, domain: str = "", *, node: str = "?", opset: int | None = None) -> Op:
    op = _REGISTRY.get((_norm(domain), op_type))
    if op is None:
        raise UnsupportedOpError(op_type, node, opset=opset,
                                 detail="npukit has no implementation of this op")
    return op


def has_op(op_type: str, domain: str = "") -> bool:
    return (_norm(domain), op_type) in _REGISTRY


def registered_ops() -> dict[str, Op]:
    return {(f"{d}::" if d else "") + t: op for (d, t), op in sorted(_REGISTRY.items())}


def _norm(domain: str) -> str:
    return "" if domain in ("", "ai.onnx") else domain


def infer_node(g: Graph, node: Node) -> list[TensorType]:
    """Output types of ``node`` from the types (and constants) of its inputs."""
    op = get_op(node.op_type, node.domain, node=node.name, opset=g.opset)
    ins: list[TensorType | None] = []
    consts: list[np.ndarray | None] = []
    for i in node.inputs:
        v = g.values.get(i) if i else None
        ins.append(None if v is None else TensorType(v.dtype, v.shape))
        consts.append(None if v is None else v.const)
    return op.infer(node, ins, consts)


def infer_graph(g: Graph) -> None:
    """Fill in dtype/shape of every node output, in order.  Known static shapes win
    over symbolic ones only when the op cannot tell (keeps import-time facts)."""
    for node in g.nodes:
        for o, t in zip(node.outputs, infer_node(g, node)):
            if not o:
                continue
            v = g.values[o]
            if t.dtype is not None:
                v.dtype = t.dtype
            if t.shape is not None and (v.shape is None or _more_known(t.shape, v.shape)):
                v.shape = tuple(t.shape)


def _more_known(new: tuple, old: tuple) -> bool:
    if len(new) != len(old):
        return True
    return sum(isinstance(d, int) for d in new) >= sum(isinstance(d, int) for d in old)
