"""AIPP at compile time: a checked stage per model input, its exact range, the manifest.

``aipp_stages(graph, spec)`` turns what the user gave — an ATC ``insert_op_conf``
or TOML file (one ``aipp_op`` block per input, matched by
``related_input_rank``), an ``AippConfig``, an ``AippStage``, or a dict
``{input name: any of these}`` — into one :class:`AippStage` per model input,
checked against the input's shape (rule ``model_input``).

``input_range(stage)`` is the exact range of the model input a static stage
can produce: every CSC output byte 0…255 normalised, per channel.  It replaces
the calibrated range of that input, so the input quantization covers what the
board delivers and nothing else, and with one dyadic ``var_reci`` (e.g. 1/128)
the scale *is* ``var_reci`` and the folded normalisation is exact
(``AippStage.fold_exact``, docs/aipp.md §5 and §8).

``aipp_section`` is the ``.npk`` manifest entry (docs/npk-format.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, Union

from npukit.errors import NpukitError
from npukit.ir import Graph
from npukit.ir.quant import QuantParams
from npukit.preprocess import AippConfig, AippError, AippStage, load_aipp_all, rules
from npukit.preprocess.dynamic import NAME as PARAMS_NAME

AippSpec = Union[str, os.PathLike, AippConfig, AippStage, Mapping[str, Any]]
SECTION_VERSION = 1


def aipp_stages(graph: Graph, spec: AippSpec | None, *, layout: str | None = None
                ) -> dict[str, AippStage]:
    """One checked stage per AIPP input of ``graph`` (in input order); ``{}`` for None.

    ``layout`` (``NCHW`` / ``NHWC``) is the model input's own layout; None infers it
    from the input's shape.  A stage given as an ``AippStage`` keeps its layout and
    any dynamic parameters bound to it (used for calibration only).
    """
    if spec is None:
        return {}
    items = _named(graph, spec)
    stages = {}
    for name, item in items:
        if name in stages:
            raise AippError(f"two AIPP configs for model input {name!r}",
                            rule="one_block_per_input")
        stages[name] = _stage(graph, name, item, layout)
    return {n: stages[n] for n in graph.inputs if n in stages}


def _named(graph: Graph, spec: AippSpec) -> list[tuple[str, AippConfig | AippStage]]:
    if isinstance(spec, Mapping):
        out = []
        for name, v in spec.items():
            if name not in graph.inputs:
                raise AippError(f"AIPP given for {name!r}, which is not an input of model "
                                f"{graph.name!r}; its inputs are {list(graph.inputs)}",
                                rule="model_input")
            found = _items(v)
            if len(found) != 1:
                raise AippError(f"the AIPP config for input {name!r} holds {len(found)} "
                                "aipp_op blocks", rule="one_block_per_input",
                                hint="give one block per input")
            out.append((name, found[0]))
        return out
    return [(_by_rank(graph, it), it) for it in _items(spec)]


def _items(v: Any) -> list[AippConfig | AippStage]:
    if isinstance(v, (AippConfig, AippStage)):
        return [v]
    if isinstance(v, (str, os.PathLike)):
        return list(load_aipp_all(v))
    raise AippError(f"AIPP config of type {type(v).__name__}", rule="file",
                    hint="give an ATC .cfg / .toml path, an AippConfig or an AippStage")


def _by_rank(graph: Graph, item: AippConfig | AippStage) -> str:
    if isinstance(item, AippStage) and item.name in graph.inputs:
        return item.name
    cfg = item.cfg if isinstance(item, AippStage) else item
    rank = cfg.related_input_rank
    if rank >= len(graph.inputs):
        raise AippError(f"related_input_rank {rank}, but model {graph.name!r} has "
                        f"{len(graph.inputs)} input(s) {list(graph.inputs)}",
                        rule="model_input", hint="related_input_rank counts inputs from 0")
    return graph.inputs[rank]


def _input_shape(graph: Graph, name: str) -> tuple[int, ...]:
    v = graph.values[name]
    shape = tuple(v.shape or ())
    if v.dtype not in ("float32", "float16", "float64", None):
        raise AippError(f"model input {name!r} is {v.dtype}; AIPP produces a float image "
                        "input", rule="model_input")
    if len(shape) != 4 or not all(isinstance(d, int) and d > 0 for d in shape[1:]):
        raise AippError(f"model input {name!r} has shape {list(shape)}; AIPP needs a 4-D "
                        "image input with static C, H, W", rule="model_input",
                        hint="fix the shape with --input-shape NAME:1,3,224,224")
    return shape


def _stage(graph: Graph, name: str, item: AippConfig | AippStage, layout: str | None
           ) -> AippStage:
    shape = _input_shape(graph, name)
    batch = shape[0] if isinstance(shape[0], int) and shape[0] > 0 else 1
    cfg = item.cfg if isinstance(item, AippStage) else item
    params = item.params if isinstance(item, AippStage) else ()
    layouts = [item.layout] if isinstance(item, AippStage) else \
        [layout] if layout else ["NCHW", "NHWC"]
    first: AippError | None = None
    for lay in layouts:
        c_axis = 1 if lay == "NCHW" else 3
        hw = (shape[2], shape[3]) if lay == "NCHW" else (shape[1], shape[2])
        try:
            if cfg.dynamic and shape[c_axis] not in (1, 3):
                raise AippError(f"model input {name!r} of shape {list(shape)} has "
                                f"{shape[c_axis]} channels in {lay}; AIPP produces 1 or 3",
                                rule="model_input")
            stage = AippStage(cfg, batch=batch, layout=lay, name=name, params=params,
                              model_hw=hw if cfg.dynamic else None,
                              model_channels=shape[c_axis] if cfg.dynamic else None)
            stage.check_model_input([d if isinstance(d, int) else None for d in shape])
            return stage
        except AippError as e:
            first = first or e
    assert first is not None
    raise first


def input_range(stage: AippStage) -> tuple[float, float] | None:
    """``(lo, hi)`` of the model input over every pixel byte; None for an unbound dynamic
    stage (its normalisation is only known at run time)."""
    cfgs = stage.params or (() if stage.cfg.dynamic else (stage.cfg,))
    ends = []
    for c in cfgs:
        n = c.normalize
        for ch in range(rules.output_channels(c)):
            off = float(n.mean[ch]) + float(n.min[ch])
            ends += [(0.0 - off) * n.var_reci[ch], (255.0 - off) * n.var_reci[ch]]
    return (min(ends), max(ends)) if ends else None


def params_input_names(stages: Mapping[str, AippStage]) -> dict[str, str]:
    """``{input: name of its extra parameter input}`` for the dynamic stages:
    ``aipp_params`` when there is one, ``aipp_params_<input>`` when there are several."""
    dyn = [n for n, s in stages.items() if s.cfg.dynamic]
    return {n: PARAMS_NAME if len(dyn) == 1 else f"{PARAMS_NAME}_{n}" for n in dyn}


def aipp_section(stages: Mapping[str, AippStage], quant: Mapping[str, QuantParams | None],
                 rounding: str) -> dict[str, Any]:
    """The ``aipp`` manifest section: per input the stage (without bound dynamic
    parameters), the input quantization its codes use, the rounding mode, whether the
    fold is exact, and the name of the dynamic parameter input."""
    params = params_input_names(stages)
    entries = {}
    for name, stage in stages.items():
        q = quant.get(name)
        if q is None or q.scale.size != 1:
            raise NpukitError(f"AIPP input {name!r} has no per-tensor quantization in the "
                              "quantized model", hint="quantize the model input (it must "
                              "not be kept in float) before compiling with AIPP")
        unbound = AippStage(stage.cfg, batch=stage.batch, layout=stage.layout, name=name,
                            model_hw=stage.model_hw, model_channels=stage.channels)
        entries[name] = {
            "stage": json.loads(unbound.to_json()), "quant": q.to_json(),
            "rounding": rounding, "params_input": params.get(name),
            "fold_exact": None if stage.cfg.dynamic else unbound.fold_exact(float(q.scale[0]))}
    return {"version": SECTION_VERSION, "inputs": entries}


def check_shapes(stages: Mapping[str, AippStage], graph: Graph,
                 layouts: Mapping[str, str] | None) -> None:
    """Each stage, at the batch of ``graph`` (one compiled shape), fits its input."""
    both = sorted(set(stages) & set(layouts or {}))
    if both:
        raise AippError(f"input(s) {both} have AIPP and a declared layout; an AIPP input "
                        "takes raw frames", rule="layout", hint="drop the layout for them")
    for name, stage in stages.items():
        shape = _input_shape(graph, name)
        batch = shape[0] if isinstance(shape[0], int) and shape[0] > 0 else 1
        stage.with_batch(batch).check_model_input(
            [d if isinstance(d, int) else None for d in shape])


def add_aipp(manifest: dict[str, Any], stages: Mapping[str, AippStage], graph: Graph,
             rounding: str, layout_version: int) -> None:
    """With AIPP: the ``aipp`` section, and the compiled-model layout that has it."""
    if stages:
        manifest["model"]["version"] = layout_version
        manifest["aipp"] = aipp_section(stages, {n: graph.values[n].quant for n in stages},
                                        rounding)
