"""Mixed precision: a per-node override file, and raising precision to a budget.

**Override file** (TOML; YAML too when PyYAML is installed): node names or op
types mapped to ``int8`` / ``uint8`` / ``int16`` / ``fp16`` / ``float`` / ``int4``,
at top level or under an ``[overrides]`` table::

    [overrides]
    "/_conv_stem/Conv" = "int16"
    Add = "float"

:func:`load_overrides` reads it into ``QuantConfig.overrides``; every override
takes effect (``quantize`` raises on a name that is not in the model) and
:func:`effective_precisions` reports what each node really runs in.

**Automatic** (:func:`auto_mixed`): rank the layers by their *single-layer*
sensitivity (each fed the golden inputs, as in the accuracy analysis's
"single" rows), then raise the fewest layers along the ladder
``int16 → float`` until the outputs meet the :class:`Budget` on the given
inputs.  Calibration is not repeated: only the params are re-assigned.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from npukit.errors import NpukitError
from npukit.ir import Value
from npukit.metrics import cosine_similarity, top1_agreement
from npukit.numerics.quantize import dequantize, quantize
from npukit.numerics.rounding import RoundingMode
from npukit.ops import get_op
from npukit.quant.algorithms.bias_range import fit_bias_range
from npukit.quant.config import PRECISIONS, Budget, QuantConfig
from npukit.quant.quantizer import QuantizedModel, build
from npukit.sim import FloatExecutor
from npukit.sim.program_executor import ProgramExecutor

if sys.version_info >= (3, 11):
    import tomllib
else:                                                     # pragma: no cover
    import tomli as tomllib

Feeds = Mapping[str, np.ndarray]
_BYTES = {"int4": 0.5, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4}


def load_overrides(path: str | Path) -> dict[str, str]:
    """Node name / op type → precision, from a TOML (or YAML) override file."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise NpukitError(f"cannot read the precision override file {str(p)!r}: {e}") from None
    if p.suffix in (".yaml", ".yml"):
        try:
            import yaml  # type: ignore[import-untyped]
        except ImportError:
            raise NpukitError(f"{p.name} is YAML and PyYAML is not installed",
                              hint="pip install pyyaml, or write the file as TOML") from None
        data: Any = yaml.safe_load(text) or {}
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise NpukitError(f"{p.name} is not valid TOML: {e}") from None
    if isinstance(data, dict) and isinstance(data.get("overrides"), dict):
        data = data["overrides"]
    if not isinstance(data, dict):
        raise NpukitError(f"{p.name} must map node names or op types to precisions")
    out = {}
    for key, prec in data.items():
        if prec not in PRECISIONS:
            raise NpukitError(f"{p.name}: {key!r} asks for {prec!r}; precisions are "
                              f"{list(PRECISIONS)}")
        out[str(key)] = str(prec)
    return out


def with_overrides(config: QuantConfig, overrides: Mapping[str, str] | str | Path
                   ) -> QuantConfig:
    """``config`` with ``overrides`` (a mapping or an override file) added on top."""
    new = overrides if isinstance(overrides, Mapping) else load_overrides(overrides)
    return dataclasses.replace(config, overrides={**config.overrides, **new})


def effective_precisions(qm: QuantizedModel) -> dict[str, str]:
    """Per node, what the lowered program runs: ``float`` on the CPU, ``fp16`` on the
    NPU's float unit, else the dtype of its output codes, with ``+int4w`` when its
    weights are 4-bit."""
    out: dict[str, str] = {}
    prog = qm.program
    for rec in prog.records:
        if rec.kernel in ("Quantize", "Dequantize"):
            continue
        spec = prog.values.get(rec.outputs[0]) if rec.outputs and rec.outputs[0] else None
        kind = "fp16" if rec.attrs.get("compute") == "float16" else \
            "float" if rec.engine == "cpu" or spec is None or spec.quant is None \
            else spec.quant.dtype
        w = rec.tensors.get("weights")
        for src in rec.sources:
            node = qm.graph.node(src)
            wv = qm.graph.values.get(node.inputs[1]) if len(node.inputs) > 1 else None
            int4 = w is not None and wv is not None and wv.quant is not None \
                and wv.quant.dtype == "int4"
            out[src] = kind + ("+int4w" if int4 else "")
    return out


@dataclass(frozen=True)
class Cost:
    """Bytes of weights (packed) and of all activations the program holds."""

    weight_bytes: int
    activation_bytes: int


def cost(qm: QuantizedModel) -> Cost:
    """Estimated storage of ``qm``'s program (int4 counted packed, two per byte)."""
    wb = 0.0
    for rec in qm.program.records:
        for name, t in rec.tensors.items():
            dtype = "int4" if name == "weights" and _int4(qm, rec.sources) else t.dtype.name
            wb += t.size * _BYTES.get(dtype, t.dtype.itemsize)
    ab = 0.0
    for spec in qm.program.values.values():
        size = int(np.prod([max(d, 1) for d in spec.shape])) if spec.shape else 1
        ab += size * _BYTES.get(spec.dtype, 4)
    return Cost(int(wb), int(ab))


def _int4(qm: QuantizedModel, sources: Sequence[str]) -> bool:
    return any(qm.config.overrides.get(s) == "int4" or
               qm.config.overrides.get(qm.graph.node(s).op_type) == "int4" for s in sources)


@dataclass
class MixedReport:
    """What ``auto_mixed`` changed, what it reached, and what it costs."""

    budget: Budget
    reached: dict[str, float]
    start: dict[str, float]
    changed: dict[str, str] = field(default_factory=dict)
    ranking: list[tuple[str, float]] = field(default_factory=list)
    cost_before: Cost | None = None
    cost_after: Cost | None = None
    trials: int = 0


def _golden(qm: QuantizedModel, inputs: Sequence[Feeds], keep: bool) -> list[dict]:
    fx = FloatExecutor(qm.float_graph)
    names = [o for n in qm.float_graph.nodes for o in n.outputs if o] if keep else []
    return [{**f, **fx.run(f, keep=names)} for f in inputs]


def reached(qm: QuantizedModel, inputs: Sequence[Feeds], gold: Sequence[Mapping]
            ) -> dict[str, float]:
    """Mean output cosine (over outputs and samples) and top-1 agreement (first output)."""
    px = ProgramExecutor(qm.program)
    outs = qm.program.outputs
    cos, ref, test = [], [], []
    for f, g in zip(inputs, gold):
        r = px.run(f)
        cos += [cosine_similarity(g[o], r[o]) for o in outs]
        ref.append(g[outs[0]])
        test.append(r[outs[0]])
    return {"cosine": float(np.mean(cos)),
            "top1": top1_agreement(np.concatenate(ref), np.concatenate(test))}


def single_sensitivity(qm: QuantizedModel, inputs: Sequence[Feeds],
                       gold: Sequence[Mapping] | None = None) -> list[tuple[str, float]]:
    """(node, mean cosine of its output fed golden inputs), most sensitive first."""
    prog, px = qm.program, ProgramExecutor(qm.program)
    gold = gold if gold is not None else _golden(qm, inputs, True)
    mode = RoundingMode.parse(prog.rounding)
    sums: dict[str, list[float]] = {}
    for g in gold:
        for k, rec in enumerate(prog.records):
            if not rec.integer_layer or not rec.sources or not rec.outputs[0]:
                continue
            args = []
            for name in rec.inputs:
                q = prog.values[name].quant
                base = name.removesuffix("@q")
                if q is None or base not in g:
                    break
                args.append(quantize(g[base], q.scale, q.zero_point, q.dtype, mode, axis=q.axis))
            else:
                qo = prog.values[rec.outputs[0]].quant
                base = rec.outputs[0].removesuffix("@q")
                if qo is None or base not in g:
                    continue
                y = dequantize(px.run_record(k, args)[0], qo.scale, qo.zero_point, axis=qo.axis)
                sums.setdefault(rec.sources[0], []).append(cosine_similarity(g[base], y))
    return sorted(((n, float(np.mean(c))) for n, c in sums.items()), key=lambda t: t[1])


def _raisable(qm: QuantizedModel, node: str) -> bool:
    n = qm.graph.node(node)
    return get_op(n.op_type, n.domain, node=n.name).quant_rule == "observe"


def _candidate(qm: QuantizedModel, overrides: dict[str, str]) -> QuantizedModel:
    """``qm`` re-assigned with ``overrides``, reusing its bias corrections and AdaRound
    weights (searching with a fresh correction or rounding per trial would cost a
    calibration-sized run each)."""
    cfg = dataclasses.replace(qm.config, overrides=overrides)
    cand = build(qm.float_graph, qm.calibration, dataclasses.replace(
        cfg, bias_correction=False, adaround=False), qm.feeds, cle=qm.cle)
    cand.config = cfg
    _reuse_rounding(qm, cand)
    for name in (qm.bias.shifts if qm.bias else {}):
        node = cand.graph.node(name)
        if cfg.overrides.get(name, cfg.overrides.get(node.op_type)) in ("float", "fp16"):
            continue
        src = qm.graph.node(name).inputs[2]
        v = qm.graph.values[src]
        cand.graph.values[src] = Value(v.name, v.dtype, v.shape, v.const, v.quant)
        while len(node.inputs) < 3:
            node.inputs.append("")
        node.inputs[2] = src
        cand.graph.invalidate()
    fit_bias_range(cand.graph)
    cand._program = None
    return cand


def _reuse_rounding(qm: QuantizedModel, cand: QuantizedModel) -> None:
    """Give ``cand`` the rounded weights of ``qm`` wherever its weight params are the same
    (a layer moved to float or to int4 weights keeps its own)."""
    if qm.adaround is None:
        return
    for name in qm.adaround.layers:
        w = qm.graph.node(name).inputs[1]
        mine, theirs = cand.graph.values[w], qm.graph.values[w]
        if theirs.quant is not None and theirs.quant.same_as(mine.quant):
            cand.graph.values[w] = Value(w, mine.dtype, mine.shape, theirs.const, mine.quant)
    cand.adaround = qm.adaround


def auto_mixed(qm: QuantizedModel, inputs: Sequence[Feeds], budget: Budget, *,
               ladder: Sequence[str] = ("int16", "float"),
               ranking: Sequence[str] | None = None) -> tuple[QuantizedModel, MixedReport]:
    """Raise the fewest layers of ``qm`` (most sensitive first, each up ``ladder``)
    until ``budget`` holds on ``inputs``; return the new model and what changed.

    ``ranking`` (node names, most sensitive first, e.g. from ``analyze()``'s single
    rows) replaces the built-in single-layer ranking.  Raises ``NpukitError`` with
    the best result reached when even the whole ladder on every layer falls short.
    """
    inputs = list(inputs)
    if not inputs:
        raise NpukitError("auto mixed precision needs at least one analysis input")
    if qm.calibration is None:
        raise NpukitError("auto mixed precision needs a model quantized by quantize()")
    gold = _golden(qm, inputs, True)
    start = reached(qm, inputs, gold)
    report = MixedReport(budget, start, start, cost_before=cost(qm), cost_after=cost(qm))
    if budget.met(start):
        return qm, report
    scores = single_sensitivity(qm, inputs, gold)
    report.ranking = scores
    order = [n for n in (ranking if ranking is not None else [n for n, _ in scores])
             if _raisable(qm, n)]
    steps = [(n, p) for p in ladder for n in order]
    memo: dict[int, tuple[QuantizedModel, dict[str, float]]] = {}

    def trial(k: int) -> tuple[QuantizedModel, dict[str, float]]:
        if k not in memo:
            cand = _candidate(qm, {**qm.config.overrides, **dict(steps[:k])})
            memo[k] = (cand, reached(cand, inputs, gold))
        return memo[k]

    hi = 1
    while hi < len(steps) and not budget.met(trial(hi)[1]):
        hi = min(2 * hi, len(steps))
    if not steps or not budget.met(trial(len(steps) if hi >= len(steps) else hi)[1]):
        best = max((r for _, r in memo.values()), default=start,
                   key=lambda r: (r["cosine"], r["top1"]))
        raise NpukitError(
            f"the mixed-precision budget {budget} cannot be met on {len(inputs)} input(s): "
            f"with {len(order)} layer(s) raised along {list(ladder)} the best reached is "
            f"cosine {best['cosine']:.5f}, top-1 agreement {best['top1']:.2%}",
            hint="lower the budget, allow 'float' in the ladder, or use more precise "
                 "calibration (another algo / bias correction)")
    lo = hi // 2                                    # budget fails at lo (or lo == 0)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if budget.met(trial(mid)[1]) else (mid, hi)
    best_qm, best_r = trial(hi)
    if qm.config.bias_correction and qm.feeds:      # corrected afresh for the new mix
        final = build(qm.float_graph, qm.calibration, best_qm.config, qm.feeds, cle=qm.cle)
        final_r = reached(final, inputs, gold)
        if budget.met(final_r):
            best_qm, best_r = final, final_r
    report.reached, report.trials = best_r, len(memo)
    report.changed = dict(steps[:hi])
    report.cost_after = cost(best_qm)
    return best_qm, report
