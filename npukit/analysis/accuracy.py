"""Per-layer accuracy of a quantized model against the float golden reference.

For each input sample the optimised float graph runs in ONNX Runtime with every
intermediate value exposed (the golden reference); npukit's float executor
cross-checks the final outputs.  The quantized program then runs

* **accumulated** — end to end, errors compounding as on the chip, and
* **single** — each record fed the golden inputs (quantized with their own
  params), so the layer that loses accuracy is named, not its victims.

Statistics stream: per layer a running mean of cosine / SNR / relative L2 and
the minimum cosine; no tensor outlives its sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np

from npukit.frontends.onnx import OrtReference
from npukit.metrics import compare, cosine_similarity, top1_agreement
from npukit.numerics.quantize import dequantize, quantize
from npukit.numerics.rounding import RoundingMode
from npukit.program import OpRecord, Program
from npukit.sim import FloatExecutor
from npukit.sim.lower import QSUFFIX
from npukit.sim.program_executor import ProgramExecutor

_SKIP = ("Quantize", "Dequantize")


@dataclass
class _Stat:
    n: int = 0
    cos_sum: float = 0.0
    cos_min: float = 1.0
    snr_sum: float = 0.0
    rel_sum: float = 0.0

    def add(self, ref: np.ndarray, test: np.ndarray) -> None:
        m = compare(ref.astype(np.float64), test.astype(np.float64))
        self.n += 1
        self.cos_sum += m["cosine"]
        self.cos_min = min(self.cos_min, m["cosine"])
        self.snr_sum += min(m["snr_db"], 200.0)   # exact match is +inf: cap for the mean
        self.rel_sum += m["relative_l2"]

    def row(self) -> dict[str, float]:
        k = max(self.n, 1)
        return {"cosine": self.cos_sum / k, "cosine_min": self.cos_min,
                "snr_db": self.snr_sum / k, "relative_l2": self.rel_sum / k}


@dataclass
class AccuracyReport:
    """Per-layer rows in program order (user node names) and per-output summaries."""

    rows: list[dict[str, Any]]
    outputs: dict[str, dict[str, float]]
    samples: int
    golden: str
    crosscheck_max_abs: float = 0.0
    notes: list[str] = field(default_factory=list)

    def worst(self, n: int = 5, kind: str = "single") -> list[dict[str, Any]]:
        return sorted(self.rows, key=lambda r: r[kind]["cosine"])[:n]

    def to_json(self) -> dict[str, Any]:
        return {"samples": self.samples, "golden": self.golden, "rows": self.rows,
                "outputs": self.outputs, "crosscheck_max_abs": self.crosscheck_max_abs,
                "notes": self.notes}

    def format(self, limit: int | None = None) -> str:
        head = (f"{'node':<36} {'op':<12} {'engine':<6} {'acc cos':>8} {'acc SNR':>8} "
                f"{'single cos':>10} {'single SNR':>10}")
        lines = [f"per-layer accuracy over {self.samples} input batch(es), golden = "
                 f"{self.golden}",
                 head, "-" * len(head)]
        for r in self.rows[:limit]:
            a, s = r["accumulated"], r["single"]
            node = r["node"] if len(r["node"]) <= 36 else "…" + r["node"][-35:]
            lines.append(f"{node:<36} {r['op'][:12]:<12} {r['engine']:<6} "
                         f"{a['cosine']:8.5f} {a['snr_db']:8.1f} {s['cosine']:10.5f} "
                         f"{s['snr_db']:10.1f}")
        for name, o in self.outputs.items():
            lines.append(f"output {name}: mean cosine {o['mean_cosine']:.5f}, min "
                         f"{o['min_cosine']:.5f}, top-1 agreement {o['top1_agreement']:.2%}")
        worst = self.worst(3)
        if worst:
            lines.append("layers losing the most on their own (single): " + ", ".join(
                f"{w['node']} ({w['single']['cosine']:.4f})" for w in worst))
        return "\n".join(lines)


def _golden(float_graph: Any) -> OrtReference:
    """ORT on the float graph, rewrites off, every intermediate value an output."""
    return OrtReference(float_graph, optimized=False)


def _float_view(prog: Program, name: str, arr: np.ndarray) -> tuple[str, np.ndarray]:
    """(value name, float array) for a program value (``v@q`` is dequantized)."""
    spec = prog.values.get(name)
    if name.endswith(QSUFFIX) and spec is not None and spec.quant is not None:
        q = spec.quant
        return name[: -len(QSUFFIX)], dequantize(arr, q.scale, q.zero_point, axis=q.axis)
    return name, np.asarray(arr, np.float32)


def _golden_inputs(prog: Program, rec: OpRecord, gold: Mapping[str, np.ndarray]
                   ) -> list[np.ndarray] | None:
    out = []
    for name in rec.inputs:
        base = name[: -len(QSUFFIX)] if name.endswith(QSUFFIX) else name
        if base not in gold:
            return None
        spec = prog.values[name]
        if name.endswith(QSUFFIX) and spec.quant is not None:
            q = spec.quant
            out.append(quantize(gold[base], q.scale, q.zero_point, q.dtype,
                                RoundingMode.parse(prog.rounding), axis=q.axis))
        else:
            out.append(gold[base])
    return out


def analyze(qmodel: Any, inputs: Iterable[Mapping[str, np.ndarray]]) -> AccuracyReport:
    """Compare ``qmodel`` (a QuantizedModel) with its float graph on ``inputs``."""
    prog: Program = qmodel.program
    golden = _golden(qmodel.float_graph)
    floatx = FloatExecutor(qmodel.float_graph)
    exe = ProgramExecutor(prog)
    acc: dict[int, _Stat] = {}
    single: dict[int, _Stat] = {}
    outs: dict[str, dict[str, list]] = {o: {"cos": [], "ref": [], "test": []}
                                        for o in prog.outputs}
    cross, samples = 0.0, 0
    index = {id(r): k for k, r in enumerate(prog.records)}
    for feeds in inputs:
        gold = {**feeds, **golden(feeds)}
        ours = floatx.run(feeds)
        cross = max(cross, max(float(np.max(np.abs(ours[o] - gold[o]))) for o in prog.outputs))

        def hook(rec: OpRecord, values: list[np.ndarray],
                 gold: Mapping[str, np.ndarray] = gold) -> None:
            if rec.kernel in _SKIP or not rec.outputs or not rec.outputs[0]:
                return
            name, f = _float_view(prog, rec.outputs[0], values[0])
            if name in gold:
                acc.setdefault(index[id(rec)], _Stat()).add(gold[name], f)

        result = exe.run(feeds, hooks=[hook])
        for k, rec in enumerate(prog.records):
            if rec.kernel in _SKIP or not rec.outputs or not rec.outputs[0]:
                continue
            args = _golden_inputs(prog, rec, gold)
            if args is None:
                continue
            name, f = _float_view(prog, rec.outputs[0], exe.run_record(k, args)[0])
            if name in gold:
                single.setdefault(k, _Stat()).add(gold[name], f)
        for o in prog.outputs:
            outs[o]["cos"].append(cosine_similarity(gold[o], result[o]))
            outs[o]["ref"].append(gold[o])
            outs[o]["test"].append(result[o])
        samples += 1
    rows = []
    for k, rec in enumerate(prog.records):
        if k in acc or k in single:
            rows.append({"node": rec.sources[0] if rec.sources else rec.name,
                         "op": rec.attrs.get("op_type", rec.kernel), "engine": rec.engine,
                         "value": rec.outputs[0].removesuffix(QSUFFIX),
                         "accumulated": acc.get(k, _Stat()).row(),
                         "single": single.get(k, _Stat()).row()})
    summary = {o: {"mean_cosine": float(np.mean(d["cos"])) if d["cos"] else 1.0,
                   "min_cosine": float(np.min(d["cos"])) if d["cos"] else 1.0,
                   "top1_agreement": top1_agreement(np.concatenate(d["ref"]),
                                                    np.concatenate(d["test"]))
                   if d["ref"] else 1.0} for o, d in outs.items()}
    return AccuracyReport(rows, summary, samples, "onnxruntime (float graph, all layers)",
                          cross)
