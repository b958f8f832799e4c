"""Turn calibrated ranges into frozen QuantParams on every value of a graph.

Rules, in graph order: a node's precision comes from the overrides (node name,
then op type) or the config default; ``float`` and ``fp16`` leave its outputs float.
Outputs of data-movement ops (``quant_rule == "same_as_input"``) share their
input's params so the integer kernel only moves codes; other float outputs get
params from their own calibrated range.  Weights are per-channel symmetric
(narrow range, so −128 never appears) unless ``per_channel`` is off.  Every
choice is recorded as a :class:`Decision` with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from npukit.errors import NpukitError
from npukit.ir import Graph, Node, QuantParams
from npukit.numerics.quantize import choose_qparams
from npukit.ops import get_op
from npukit.quant.config import QuantConfig
from npukit.quant.observers import mse_weight_clip

Range = tuple[float, float]
#: precisions whose node keeps float values (no QuantParams on its outputs)
FLOAT_PRECISIONS = ("float", "fp16")


@dataclass(frozen=True)
class Decision:
    node: str
    op_type: str
    precision: str
    reason: str


def node_precision(node: Node, cfg: QuantConfig) -> tuple[str, str]:
    if node.name in cfg.overrides:
        return cfg.overrides[node.name], f"override for node {node.name!r}"
    if node.op_type in cfg.overrides:
        return cfg.overrides[node.op_type], f"override for op type {node.op_type}"
    return cfg.activations, "default"


def check_overrides(g: Graph, cfg: QuantConfig) -> None:
    names = {n.name for n in g.nodes} | {n.op_type for n in g.nodes}
    unknown = sorted(k for k in cfg.overrides if k not in names)
    if unknown:
        import difflib
        hints = {k: difflib.get_close_matches(k, names, 1) for k in unknown}
        said = ", ".join(f"{k!r}" + (f" (did you mean {h[0]!r}?)" if h else "")
                         for k, h in hints.items())
        raise NpukitError(f"the precision overrides name {said}, which is not a node name "
                          f"or op type of model {g.name!r}")


def _act_params(rng: Range | None, dtype: str, cfg: QuantConfig, name: str) -> QuantParams:
    if rng is None:
        raise NpukitError(f"no calibration range for value {name!r}",
                          hint="the calibration run did not reach it; check the data")
    symmetric = cfg.symmetric_activations or dtype == "int16"
    s, z = choose_qparams(rng[0], rng[1], dtype, symmetric)
    return QuantParams(dtype, np.asarray(s).reshape(1), np.asarray(z).reshape(1))


def _weight_params(w: np.ndarray, axis: int, dtype: str, cfg: QuantConfig) -> QuantParams:
    axis = axis % w.ndim
    if not cfg.per_channel:
        amax = float(np.max(np.abs(w))) if w.size else 0.0
        s, z = choose_qparams(-amax, amax, dtype, True, narrow=True)
        return QuantParams(dtype, np.asarray(s).reshape(1), np.asarray(z).reshape(1))
    if cfg.weight_algo == "mse":
        clip = mse_weight_clip(w, axis, 4 if dtype == "int4" else 8)
        amax = np.asarray(clip.hi, np.float64)
    else:
        red = tuple(i for i in range(w.ndim) if i != axis)
        amax = np.max(np.abs(w), axis=red).astype(np.float64)
    s, z = choose_qparams(-amax, amax, dtype, True, narrow=True)
    return QuantParams(dtype, s, z, axis)


def assign_params(g: Graph, ranges: Mapping[str, Range], cfg: QuantConfig) -> list[Decision]:
    """Attach QuantParams to ``g``'s values in place; return the per-node decisions."""
    check_overrides(g, cfg)
    decisions: list[Decision] = []
    for name in g.inputs:
        v = g.values[name]
        if v.dtype in ("float32", "float16", "float64"):
            v.quant = _act_params(ranges.get(name), cfg.activations, cfg, name)
    for node in g.nodes:
        prec, why = node_precision(node, cfg)
        decisions.append(Decision(node.name, node.op_type, prec, why))
        if prec in FLOAT_PRECISIONS:
            continue
        op = get_op(node.op_type, node.domain, node=node.name)
        wdtype = "int4" if prec == "int4" else cfg.weights
        for idx, axis in op.weight_axes(node).items():
            wv = g.values[node.inputs[idx]] if idx < len(node.inputs) else None
            if wv is not None and wv.const is not None:
                wv.quant = _weight_params(wv.const, axis, wdtype, cfg)
        act = cfg.activations if prec == "int4" else prec
        for o in node.outputs:
            v = g.values.get(o) if o else None
            if v is None or v.dtype not in ("float32", "float16", "float64") or \
                    op.quant_rule == "none":
                continue
            src = g.values.get(node.inputs[0]) if node.inputs and node.inputs[0] else None
            if op.quant_rule == "same_as_input" and src is not None and src.quant is not None:
                v.quant = src.quant
            else:
                v.quant = _act_params(ranges.get(o), act, cfg, o)
    return decisions
