"""Compile a quantized model into one ``.npk``: placement → programs → plan → packing → file.

One program per input shape (``shapes``), each lowered from the same
quantized graph re-shaped and placed on its own (a batch limit can move a
node to the CPU at one shape and not another).  Record tensors that are
byte-identical across shapes are stored once.  Everything is computed in
memory first and written by :func:`npukit.npk.write_npk`, which is atomic:
a failed compile leaves no file, and an existing file needs ``force``.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from npukit.compiler.aipp import AippSpec, add_aipp, aipp_stages
from npukit.compiler.aipp import check_shapes as check_aipp_shapes
from npukit.compiler.memory_plan import MemoryPlan, plan_memory
from npukit.compiler.reshape import check_shapes, graph_shapes, reshaped, shape_key
from npukit.compiler.signature import io_signature
from npukit.compiler.weights import pack_weights
from npukit.errors import ShapeError
from npukit.ir import Graph
from npukit.npk import NpkExistsError, write_npk
from npukit.partition import Placement, place
from npukit.program import Program
from npukit.targets import TargetProfile, load_target

MODEL_VERSION = 1          # the layout of the manifest sections this module writes
MODEL_VERSION_AIPP = 2     # ... when inputs take raw frames through AIPP (the ``aipp`` section)
Shapes = Mapping[str, Sequence[int]]


@dataclass
class CompileResult:
    """What was written, and the in-memory products (per shape key, default first)."""

    path: Path
    target: str
    shapes: list[str]
    programs: dict[str, Program]
    placements: dict[str, Placement]
    plans: dict[str, MemoryPlan]
    manifest: dict[str, Any]
    file_bytes: int
    seconds: float

    @property
    def program(self) -> Program:
        return self.programs[self.shapes[0]]

    @property
    def placement(self) -> Placement:
        return self.placements[self.shapes[0]]

    @property
    def plan(self) -> MemoryPlan:
        return self.plans[self.shapes[0]]


def compile_model(qmodel: Any, target: str | TargetProfile, out_path: str | os.PathLike,
                  *, cpu: Iterable[str] = (), npu: Iterable[str] = (),
                  shapes: Sequence[Shapes] | None = None, key: Any = None,
                  force: bool = False, layouts: Mapping[str, str] | None = None,
                  preprocess: Mapping[str, Any] | None = None,
                  aipp: AippSpec | None = None,
                  on_placement: Callable[[Placement], None] | None = None) -> CompileResult:
    """Compile ``qmodel`` (a :class:`npukit.quant.quantizer.QuantizedModel`) for ``target``.

    ``shapes`` lists input-shape dicts (one program each; the first is the
    default); None compiles the graph's own shapes.  ``layouts`` declares
    inputs NHWC; ``preprocess`` is stored as given (the CLI keeps mean/std/color
    there for ``npukit run``).  ``aipp`` (ATC / TOML file, ``AippConfig``, ``AippStage``,
    ``{input: …}``) makes inputs take raw camera frames (docs/aipp.md §8).
    ``on_placement`` sees the default shape's placement first.
    """
    t0, dest = time.perf_counter(), Path(out_path)
    if dest.exists() and not force:
        raise NpkExistsError(f"{dest} already exists", hint="pass force=True (--force) "
                             "to overwrite it")
    t = load_target(target)
    g: Graph = qmodel.graph
    keep = {d.node: f"{d.reason}: kept in float by the quantizer"
            for d in getattr(qmodel, "decisions", []) if d.precision == "float"}
    half = {d.node: d.reason for d in getattr(qmodel, "decisions", [])
            if d.precision == "fp16"}
    keys, wanted = _shape_list(g, shapes)
    stages = aipp_stages(g, aipp)
    own = shape_key(graph_shapes(g), g.inputs) if all(
        g.values[n].is_static for n in g.inputs) else None
    products = {}
    for k, s in zip(keys, wanted):
        gs = g if k == own else reshaped(g, s)
        check_aipp_shapes(stages, gs, layouts)
        pl = place(gs, t, cpu=list(cpu), npu=list(npu), keep_float=keep, fp16=half)
        products[k] = (gs, pl)
        if on_placement is not None and k == keys[0]:
            on_placement(pl)
    manifest, tensors, plans = _assemble(t, g, keys, products, qmodel, layouts, preprocess)
    add_aipp(manifest, stages, g, t.numerics.rounding, MODEL_VERSION_AIPP)
    write_npk(dest, manifest, tensors, key=key, force=force)
    return CompileResult(dest, t.name, keys, {k: p.program for k, (_, p) in products.items()},
                         {k: p for k, (_, p) in products.items()}, plans, manifest,
                         dest.stat().st_size, time.perf_counter() - t0)


def _shape_list(g: Graph, shapes: Sequence[Shapes] | None) -> tuple[list[str], list[Shapes]]:
    """Checked shape dicts (the graph's own when None) and their keys."""
    wanted = list(shapes) if shapes else [graph_shapes(g)]
    for s in wanted:
        check_shapes(g, s)
    keys = [shape_key(s, g.inputs) for s in wanted]
    dup = next((k for k in keys if keys.count(k) > 1), None)
    if dup is not None:
        raise ShapeError(f"shape {dup!r} is listed twice", hint="list each shape once")
    return keys, wanted


def _assemble(t: TargetProfile, g: Graph, keys: list[str],
              products: Mapping[str, tuple[Graph, Placement]], qmodel: Any,
              layouts: Mapping[str, str] | None, preprocess: Mapping[str, Any] | None
              ) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, MemoryPlan]]:
    stored: dict[str, np.ndarray] = {}
    packing: dict[str, Any] = {}
    programs: dict[str, Any] = {}
    plans: dict[str, MemoryPlan] = {}
    for k in keys:
        gs, pl = products[k]
        plans[k] = plan_memory(pl.program)
        tensors, packs = pack_weights(pl.program, gs)
        names = {}
        for name, arr in tensors.items():
            names[name] = _store(stored, name, arr, k)
            if name in packs:
                packing[names[name]] = packs[name]
        programs[k] = {"program": pl.program.to_json(), "memory_plan": plans[k].to_json(),
                       "io": io_signature(pl.program, layouts), "tensors": names}
    cfg = getattr(qmodel, "config", None)
    manifest: dict[str, Any] = {
        "target": t.name,
        "model": {"version": MODEL_VERSION, "name": g.name, "shapes": keys,
                  "default_shape": keys[0]},
        "io": programs[keys[0]]["io"],
        "programs": programs,
        "placement": {k: products[k][1].to_json() for k in keys},
        "packing": packing,
        "compiler": {"rounding": t.numerics.rounding, "rounding_from": "target profile",
                     "alignment": plans[keys[0]].alignment,
                     "quant_config": _config_json(cfg)},
    }
    if preprocess:
        manifest["preprocess"] = dict(preprocess)
    return manifest, stored, plans


def _store(stored: dict[str, np.ndarray], name: str, arr: np.ndarray, key: str) -> str:
    """Store ``arr`` under ``name`` unless an identical tensor is already there."""
    have = stored.get(name)
    if have is None:
        stored[name] = arr
        return name
    if have.dtype == arr.dtype and have.shape == arr.shape and np.array_equal(have, arr):
        return name
    alt = f"{key}:{name}"
    stored[alt] = arr
    return alt


def _config_json(cfg: Any) -> Any:
    if cfg is None or not dataclasses.is_dataclass(cfg):
        return None
    d = dataclasses.asdict(cfg)
    d["overrides"] = dict(d.get("overrides") or {})
    return d
