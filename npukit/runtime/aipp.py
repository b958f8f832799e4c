"""AIPP in the runtime: inputs that take raw camera frames (NumPy only; docs/aipp.md §8).

A compiled model whose manifest has an ``aipp`` section (model layout 2) takes,
for each such input, the raw frame (``uint8[N, H*3/2, W]`` for NV12;
``uint8[N, max_src_image_size]`` for dynamic AIPP) instead of the float image.
The runtime runs the integer AIPP path (``AippStage.run_int``) with the input's
quantization and the target's rounding, and feeds the codes straight to the
first layer — the pre-quantized feed, so the result is bit-exact to
``run_int`` followed by the program.  A dynamic stage gets its parameters per
run from the extra ``aipp_params`` input (the Ascend way: one
``dynamic.encode_params`` row for the batch or one per item) or else from
``Runtime.set_aipp``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from npukit.errors import InputError
from npukit.ir.quant import QuantParams
from npukit.numerics import dequantize
from npukit.preprocess import AippConfig, AippError, AippStage
from npukit.preprocess.dynamic import RECORD_BYTES
from npukit.runtime.tensor_info import TensorInfo

SECTION_VERSIONS = (1,)


@dataclass(frozen=True)
class AippInput:
    """One model input's AIPP at one compiled shape."""

    name: str
    stage: AippStage                 # at this shape's batch, no dynamic parameters bound
    quant: QuantParams               # of the model input: what the codes mean
    rounding: str
    params_input: str | None         # the extra parameter input of a dynamic stage
    fold_exact: bool | None

    @property
    def dynamic(self) -> bool:
        return self.stage.cfg.dynamic

    def frame_info(self) -> TensorInfo:
        c = self.stage.cfg
        kind = "bytes" if self.dynamic else c.input_format
        return TensorInfo(self.name, tuple(self.stage.input_spec().shape), "uint8", kind,
                          None, None, "frame")

    def params_info(self) -> TensorInfo | None:
        if self.params_input is None:
            return None
        return TensorInfo(self.params_input, (self.stage.batch, RECORD_BYTES), "uint8", "ND",
                          None, None, "ND")


def load_section(section: Any, model_inputs: Sequence[TensorInfo]) -> dict[str, AippInput]:
    """The AIPP inputs of one compiled shape, re-batched to that shape's model inputs."""
    if not isinstance(section, Mapping) or section.get("version") not in SECTION_VERSIONS:
        raise ValueError(f"aipp section version {_get(section, 'version')!r} is not one of "
                         f"{SECTION_VERSIONS}")
    infos = {t.name: t for t in model_inputs}
    out = {}
    for name, e in section["inputs"].items():
        if name not in infos:
            raise ValueError(f"aipp section names {name!r}, which is not a model input")
        t, q = infos[name], QuantParams.from_json(e["quant"])
        if t.quant is not None and not t.quant.same_as(q):
            raise ValueError(f"the AIPP codes of {name!r} are not in the quantization of the "
                             "program's input")
        stage = AippStage.from_json(json.dumps(e["stage"])).with_batch(
            t.shape[0] if t.shape else 1)
        out[name] = AippInput(name, stage, q, e["rounding"], e.get("params_input"),
                              e.get("fold_exact"))
    return out


def _get(d: Any, key: str) -> Any:
    return d.get(key) if isinstance(d, Mapping) else None


def public_inputs(model_inputs: Sequence[TensorInfo], aipp: Mapping[str, AippInput]
                  ) -> list[TensorInfo]:
    """What the caller feeds: frames in place of AIPP inputs, then any parameter inputs."""
    ins = [aipp[t.name].frame_info() if t.name in aipp else t for t in model_inputs]
    ins += [p for a in aipp.values() if (p := a.params_info()) is not None]
    return ins


def with_batch_axis(aipp: Mapping[str, AippInput], arrays: dict[str, np.ndarray]) -> None:
    """Add the batch axis to a single frame (as ``AippStage`` accepts) and check the
    frame size, so a wrong frame is named as such rather than as a shape mismatch."""
    for name, a in aipp.items():
        x = arrays.get(name)
        if x is None:
            continue
        one = a.stage.input_spec().shape[1:]
        if tuple(x.shape) == tuple(one):
            arrays[name] = x[None]
        elif tuple(x.shape[1:]) != tuple(one):
            c = a.stage.cfg
            what = (f"max_src_image_size {c.max_src_image_size} bytes" if a.dynamic else
                    f"src_image_size {c.src_w}x{c.src_h} in {c.input_format}")
            raise AippError(f"input {name!r}: frame of shape {list(x.shape)} does not match "
                            f"{what}: expected {list(a.stage.input_spec().shape)} (or "
                            f"{list(one)} for one frame)", rule="frame_size",
                            hint="the model was compiled with AIPP and takes raw camera "
                                 f"frames of that size; Runtime.aipp[{name!r}]"
                                 ".frame_from_image(rgb) makes one from an RGB image")


def bind(a: AippInput, record: np.ndarray | None, params: Sequence[AippConfig] | None
         ) -> AippStage:
    """The stage with its dynamic parameters for this run (the record wins)."""
    if not a.dynamic:
        return a.stage
    if record is not None:
        if np.asarray(record).dtype != np.uint8:
            raise AippError(f"input {a.params_input!r} must be uint8 parameter records "
                            f"(npukit.preprocess.encode_params), got {np.asarray(record).dtype}",
                            rule="dynamic_record")
        return a.stage.with_param_input(record)
    if not params:
        raise AippError(f"input {a.name!r} has dynamic AIPP and no parameters were given "
                        "for this run", rule="dynamic_params_missing",
                        hint=f"call Runtime.set_aipp(params) or feed {a.params_input!r} "
                             "(npukit.preprocess.encode_params([...]))")
    return a.stage.with_dynamic(list(params))


def frame_feed(a: AippInput, frame: np.ndarray, stage: AippStage, prequant: bool
               ) -> np.ndarray:
    """The program feed for one AIPP input: integer codes (pre-quantized feed), or
    their dequantized float values when the first consumer is not a Quantize."""
    f = np.asarray(frame)
    if f.dtype != np.uint8:
        raise InputError(f"input {a.name!r} takes raw uint8 frames, got {f.dtype}",
                         hint="feed the camera frame as it is (np.uint8); "
                              f"Runtime.aipp[{a.name!r}].frame_from_image(rgb) makes one")
    q = a.quant
    codes = stage.run_int(f, (float(q.scale[0]), int(q.zero_point[0]), q.dtype), a.rounding)
    if prequant:
        return codes
    return dequantize(codes, float(q.scale[0]), int(q.zero_point[0]))


def check_params(stage: AippStage, params: Any, batches: Sequence[int]) -> list[AippConfig]:
    """``params`` (one set or one per item: AippConfig / dict / ATC or TOML path) checked
    one by one against ``stage``, and their number against the compiled ``batches``."""
    from npukit.preprocess import load_aipp_all
    items = params if isinstance(params, (list, tuple)) else [params]
    sets: list[Any] = []
    for p in items:
        if isinstance(p, (AippConfig, Mapping)):
            sets.append(p)
        elif isinstance(p, str) or hasattr(p, "__fspath__"):
            sets += load_aipp_all(p)
        else:
            raise AippError(f"dynamic AIPP parameters of type {type(p).__name__}",
                            rule="dynamic_record", hint="give an AippConfig, a dict of AIPP "
                            "fields, or an ATC / TOML file")
    if len(sets) != 1 and len(sets) not in batches:
        raise AippError(f"{len(sets)} dynamic parameter sets; the compiled batch sizes are "
                        f"{sorted(set(batches))}", rule="dynamic_batch",
                        hint="give one set, or one per batch item")
    one = stage.with_batch(1)
    return [one.with_dynamic(p).params[0] for p in sets]
