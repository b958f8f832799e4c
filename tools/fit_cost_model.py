"""Fit the cost model's unknowns to the published board measurements (targets.md).

    .venv/bin/python tools/fit_cost_model.py            # fit, print values and errors
    .venv/bin/python tools/fit_cost_model.py --write    # … and write them to the profiles

Unknowns, one set per target (docs/performance.md §Fit):

* NVDLA (nvdla-full, nvdla-small and the primer's 512-MAC design share one
  set): ``efficiency.conv`` (= ``gemm``), ``memory.dram_efficiency`` and
  ``per_layer_overhead_cycles`` from four ResNet-50 figures; each case is also
  predicted from a fit on the other three (leave-one-out).
* RK3588, RK3566: ``efficiency.conv`` (= ``gemm``) and ``efficiency.depthwise``
  from ResNet-50 and MobileNetV2.  Two figures cannot separate a per-layer
  overhead from efficiency, so the overhead is the NVDLA fit's (RKNPU2 is an
  NVDLA-like pipeline).
* Ascend 310: ``efficiency.conv`` (= ``gemm``) from ResNeXt50 FP16; overhead as above.

Least squares on log(estimate / measured), bounded (0 < e ≤ 1).  The case
list is the validation set of benchmarks/bench_cost_validation.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Sequence

import numpy as np
from scipy.optimize import least_squares

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cost_zoo  # noqa: E402

from npukit.cost import CostOptions, estimate_layers, graph_layers  # noqa: E402
from npukit.ir import Graph  # noqa: E402
from npukit.targets import TargetProfile, load_target  # noqa: E402
from npukit.targets.registry import PROFILE_DIR  # noqa: E402

PROVENANCE = "fitted: tools/fit_cost_model.py"
NVDLA_512 = {"macs_per_cycle": MappingProxyType({"int8": 512}), "atomic_c": 32, "atomic_k": 16,
             "conv_buffer_kb": 256, "dram_bandwidth_gbps": 10.0}


@dataclass(frozen=True, eq=False)
class Case:
    """One published measurement and the conditions it was taken under."""

    id: str
    model: str
    target: str
    measured_ms: float
    source: str
    dtype: str = "int8"
    cores: int = 1
    use_sram: bool = False                        # feature maps in on-chip SRAM
    design: tuple[tuple[str, Any], ...] = ()      # profile fields of the measured design
    note: str = ""


CASES = [
    Case("rk3588-resnet50", "resnet50", "rk3588", 1000 / 110.1,
         "rknn_model_zoo README v2.3.2 (110.1 FPS)"),
    Case("rk3588-mobilenet_v2", "mobilenet_v2", "rk3588", 1000 / 450.7,
         "rknn_model_zoo README v2.3.2 (450.7 FPS)"),
    Case("rk3566-resnet50", "resnet50", "rk3566", 1000 / 37.9,
         "rknn_model_zoo README v2.3.2 (37.9 FPS)"),
    Case("rk3566-mobilenet_v2", "mobilenet_v2", "rk3566", 1000 / 180.7,
         "rknn_model_zoo README v2.3.2 (180.7 FPS)"),
    Case("ascend310-resnext50", "resnext50_32x4d", "ascend310", 2.68,
         "Ascend ModelZoo ResNeXt50 guide (FP16, batch 1, 2.68 ms)", dtype="fp16", cores=2,
         use_sram=True, note="both AI cores; ATC keeps feature maps in the on-chip buffer"),
    Case("nvdla2048-20GBps-resnet50", "resnet50", "nvdla-full", 1000 / 269,
         "nvdla.org primer (vendor estimate, 269 FPS)"),
    Case("nvdla2048-10GBps-resnet50", "resnet50", "nvdla-full", 7.11,
         "nvdla/hw perf spreadsheet (7.11 ms, 23 % MAC utilisation)",
         design=(("dram_bandwidth_gbps", 10.0),)),
    Case("nvdla512-10GBps-resnet50", "resnet50", "nvdla-full", 1000 / 93,
         "nvdla.org primer (vendor estimate, 93 FPS)", design=tuple(NVDLA_512.items()),
         note="512 MACs as 32×16 (atomic split unverified), 256 KB CBUF, 10 GB/s"),
    Case("nvdla64-1GBps-resnet50", "resnet50", "nvdla-small", 1000 / 7.3,
         "nvdla.org primer (vendor estimate, 7.3 FPS)"),
]


@dataclass
class Family:
    """Targets sharing one parameter set, and which parameters the fit moves."""

    name: str
    targets: tuple[str, ...]
    params: tuple[str, ...]          # conv | depthwise | dram | overhead
    fixed: dict[str, float] = field(default_factory=dict)


FAMILIES = [
    Family("nvdla", ("nvdla-full", "nvdla-small"), ("conv", "dram", "overhead")),
    Family("rk3588", ("rk3588",), ("conv", "depthwise")),
    Family("rk3566", ("rk3566",), ("conv", "depthwise")),
    Family("ascend310", ("ascend310",), ("conv",)),
]
BOUNDS = {"conv": (0.05, 1.0), "depthwise": (0.02, 1.0), "dram": (0.2, 1.0),
          "overhead": (0.0, 50000.0)}


@cache
def graph(model: str) -> Graph:
    from npukit.frontends.onnx import import_model
    from npukit.passes import optimize
    return optimize(import_model(cost_zoo.model_path(model)))[0]


def design(case: Case) -> TargetProfile:
    """The profile of the measured design (the target, with the case's design fields)."""
    t = load_target(case.target)
    d = dict(case.design)
    npu = {k: v for k, v in d.items() if k in t.npu.__dataclass_fields__}
    mem = {k: v for k, v in d.items() if k in t.memory.__dataclass_fields__}
    return dataclasses.replace(t, npu=dataclasses.replace(t.npu, **npu),
                               memory=dataclasses.replace(t.memory, **mem))


def with_params(t: TargetProfile, p: dict[str, float]) -> TargetProfile:
    """``t`` with fitted parameters ``p`` applied."""
    eff = dict(t.npu.efficiency)
    if "conv" in p:
        eff["conv"] = eff["gemm"] = p["conv"]
    if "depthwise" in p:
        eff["depthwise"] = p["depthwise"]
    npu = dataclasses.replace(t.npu, efficiency=MappingProxyType(eff))
    if "overhead" in p:
        npu = dataclasses.replace(npu, per_layer_overhead_cycles=int(round(p["overhead"])))
    mem = t.memory
    if "dram" in p:
        mem = dataclasses.replace(mem, dram_efficiency=p["dram"])
    return dataclasses.replace(t, npu=npu, memory=mem)


_LAYERS: dict[str, list] = {}


def layers(case: Case) -> list:
    """Cost layers of the case's model on its design (built once per case)."""
    if case.id not in _LAYERS:
        _LAYERS[case.id] = graph_layers(graph(case.model), design(case), case.dtype)
    return _LAYERS[case.id]


def predict(case: Case, p: dict[str, float] | None = None) -> dict[str, Any]:
    """The estimate for ``case`` (with ``p`` applied, else the profile as it is)."""
    t = design(case)
    t = with_params(t, p) if p else t
    opts = CostOptions(case.cores, case.dtype, case.use_sram)
    rep = estimate_layers(layers(case), t, options=opts,
                          outputs=graph(case.model).outputs, model=case.model)
    return {"ms": rep.totals["inference_ms"], "utilisation": rep.totals["utilisation"],
            "report": rep}


def fit(fam: Family, cases: Sequence[Case], start: dict[str, float]) -> dict[str, float]:
    """Least squares on log errors over ``cases`` for ``fam``'s parameters."""
    names = list(fam.params)
    lo = [BOUNDS[n][0] for n in names]
    hi = [BOUNDS[n][1] for n in names]
    x0 = [min(max(start[n], a), b) for n, a, b in zip(names, lo, hi)]
    scale = np.array([10000.0 if n == "overhead" else 1.0 for n in names])

    def resid(x: np.ndarray) -> list[float]:
        p = {**fam.fixed, **dict(zip(names, x * scale))}
        return [math.log(predict(c, p)["ms"] / c.measured_ms) for c in cases]

    r = least_squares(resid, np.array(x0) / scale, bounds=(np.array(lo) / scale,
                                                          np.array(hi) / scale),
                      diff_step=1e-3)
    return {**fam.fixed, **dict(zip(names, (r.x * scale).tolist()))}


def start_values(fam: Family) -> dict[str, float]:
    t = load_target(fam.targets[0])
    return {"conv": t.npu.efficiency["conv"], "depthwise": t.npu.efficiency["depthwise"],
            "dram": t.memory.dram_efficiency, "overhead": float(t.npu.per_layer_overhead_cycles)}


def fit_all() -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Fitted parameters per family and leave-one-out predictions (case id → ms)."""
    fitted: dict[str, dict[str, float]] = {}
    held: dict[str, float] = {}
    for fam in FAMILIES:
        if fam.name != "nvdla":
            fam.fixed = {"overhead": fitted["nvdla"]["overhead"]}
        mine = [c for c in CASES if c.target in fam.targets]
        fitted[fam.name] = fit(fam, mine, start_values(fam))
        if len(mine) > len(fam.params):
            for c in mine:
                p = fit(fam, [o for o in mine if o is not c], fitted[fam.name])
                held[c.id] = predict(c, p)["ms"]
    return fitted, held


def family_of(target: str) -> Family:
    return next(f for f in FAMILIES if target in f.targets)


def write_profiles(fitted: dict[str, dict[str, float]]) -> list[Path]:
    """Put the fitted values (and their provenance) into the profile TOML files."""
    changed = []
    for fam in FAMILIES:
        p = fitted[fam.name]
        for target in fam.targets:
            path = PROFILE_DIR / f"{target}.toml"
            text = path.read_text()
            eff = dict(load_target(target).npu.efficiency)
            eff.update(conv=round(p["conv"], 3), gemm=round(p["conv"], 3))
            if "depthwise" in fam.params:
                eff["depthwise"] = round(p["depthwise"], 3)
            body = ", ".join(f"{k} = {v:g}" for k, v in eff.items())
            text = re.sub(r"(?m)^efficiency = \{.*\}$", f"efficiency = {{ {body} }}", text)
            text = re.sub(r"(?m)^per_layer_overhead_cycles = \d+$",
                          f"per_layer_overhead_cycles = {int(round(p['overhead']))}", text)
            if "dram" in fam.params:
                text = re.sub(r"(?m)^dram_efficiency = [0-9.]+$",
                              f"dram_efficiency = {p['dram']:.3f}", text)
            path.write_text(text)
            changed.append(path)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="write the values to the profiles")
    args = ap.parse_args(argv)
    fitted, held = fit_all()
    for name, p in fitted.items():
        vals = ", ".join(f"{k}={v:.4g}" for k, v in p.items())
        print(f"{name:<10} {vals}")
    print(f"\n{'case':<28} {'measured':>9} {'estimate':>9} {'error':>7} {'held-out':>9}")
    for c in CASES:
        est = predict(c, fitted[family_of(c.target).name])["ms"]
        ho = f"{100 * (held[c.id] / c.measured_ms - 1):+6.1f}%" if c.id in held else ""
        print(f"{c.id:<28} {c.measured_ms:8.3f}ms {est:8.3f}ms "
              f"{100 * (est / c.measured_ms - 1):+6.1f}% {ho:>9}")
    if args.write:
        for path in write_profiles(fitted):
            print(f"wrote {path.relative_to(PROFILE_DIR.parents[2])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
