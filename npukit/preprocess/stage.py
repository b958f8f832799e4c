"""``AippStage``: one model input's AIPP, ready for the compiler and the runtime.

Static AIPP bakes one parameter set into the .npk (``to_json``) and shares it
across the batch.  Dynamic AIPP declares only the input and the largest frame
(``max_src_image_size``); the parameters arrive per run through
``with_dynamic(params)`` — one set, or one per batch item — as the Ascend
runtime's ``SetDynamicAippData`` does.  The raw frame input is then a flat
``uint8[N, max_src_image_size]`` buffer, each item read with its own layout.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import numpy as np

from npukit.numerics import RoundingMode, multiplier_to_float, qdtype_name
from npukit.preprocess import dynamic, float_ref, formats, integer, rules
from npukit.preprocess.config import AippConfig, AippError, from_dict, to_dict

ParamSet = Union[AippConfig, Mapping[str, Any]]
JSON_VERSION = 1
RAW_SUFFIXES = (".yuv", ".nv12", ".nv21", ".rgb", ".bgr", ".gray", ".raw", ".bin")


@dataclass(frozen=True)
class InputSpec:
    """The raw model input AIPP puts in front of the network."""

    name: str
    shape: tuple[int, ...]
    dtype: str = "uint8"


class AippStage:
    """AIPP for one model input: shapes, float reference, integer path, serialisation."""

    def __init__(self, cfg: AippConfig, *, batch: int = 1, layout: str = "NCHW",
                 model_hw: tuple[int, int] | None = None, model_channels: int | None = None,
                 name: str = "frame", params: Sequence[AippConfig] = ()) -> None:
        if layout not in ("NCHW", "NHWC"):
            raise AippError(f"layout {layout!r} must be NCHW or NHWC", rule="layout")
        if batch < 1:
            raise AippError(f"batch must be >= 1, got {batch}", rule="batch")
        if cfg.dynamic and model_hw is None:
            raise AippError("dynamic AIPP needs the model input's (H, W)", rule="dynamic_shape",
                            hint="AippStage(cfg, model_hw=(H, W)) — the compiler knows it")
        self.cfg, self.batch, self.layout, self.name = cfg, batch, layout, name
        self.model_hw = tuple(model_hw) if model_hw else rules.output_hw(cfg)
        self.channels = model_channels or (3 if cfg.dynamic else rules.output_channels(cfg))
        self.params = tuple(params)

    # -- shapes ---------------------------------------------------------------
    def input_spec(self) -> InputSpec:
        """``uint8[N, H*3/2, W]`` for static NV12; ``uint8[N, max_src_image_size]`` if dynamic."""
        if self.cfg.dynamic:
            return InputSpec(self.name, (self.batch, self.cfg.max_src_image_size))
        shape = formats.frame_shape(self.cfg.input_format, self.cfg.src_h, self.cfg.src_w)
        return InputSpec(self.name, (self.batch, *shape))

    def output_shape(self) -> tuple[int, int, int, int]:
        """The model input AIPP produces: ``(N, C, H, W)`` (or NHWC)."""
        h, w = self.model_hw
        if self.layout == "NHWC":
            return (self.batch, h, w, self.channels)
        return (self.batch, self.channels, h, w)

    def check_model_input(self, shape: Sequence[int | None]) -> None:
        """Raise unless AIPP's output fits the model input ``shape`` (None / <= 0: any)."""
        want = tuple(shape)
        got = self.output_shape()
        if len(want) != 4 or any(w not in (None, g) and w > 0 for w, g in zip(want, got)):
            raise AippError(f"AIPP produces {list(got)} ({self.layout}) but the model input "
                            f"{self.name!r} is {list(want)}", rule="model_input",
                            hint="set resize_output_w/h (or crop / padding) to the model's "
                                 "size, or the layout / batch to the model's")

    def with_batch(self, batch: int) -> AippStage:
        """The same stage for ``batch`` items (a compiled model has one program per batch)."""
        if self.params and len(self.params) not in (1, batch):
            raise AippError(f"{len(self.params)} dynamic parameter sets for batch {batch}",
                            rule="dynamic_batch", hint="give one set, or one per batch item")
        return AippStage(self.cfg, batch=batch, layout=self.layout, name=self.name,
                         model_hw=self.model_hw, model_channels=self.channels,
                         params=self.params)

    # -- dynamic parameters ---------------------------------------------------
    def param_spec(self) -> InputSpec | None:
        """The extra ``aipp_params`` input of a dynamic stage (``dynamic.encode_params``)."""
        if not self.cfg.dynamic:
            return None
        return InputSpec(dynamic.NAME, (self.batch, dynamic.RECORD_BYTES))

    def with_param_input(self, record: np.ndarray) -> AippStage:
        """``with_dynamic`` from the ``aipp_params`` input's bytes."""
        return self.with_dynamic(dynamic.decode_params(record))

    def with_dynamic(self, params: ParamSet | Sequence[ParamSet]) -> AippStage:
        """This dynamic stage bound to run-time parameters (one set, or one per item)."""
        if not self.cfg.dynamic:
            raise AippError("with_dynamic() on a static AIPP stage", rule="dynamic_fields",
                            hint="static parameters are baked in; declare aipp_mode : dynamic")
        items = [params] if isinstance(params, (AippConfig, Mapping)) else list(params)
        if len(items) not in (1, self.batch):
            raise AippError(f"{len(items)} dynamic parameter sets for batch {self.batch}",
                            rule="dynamic_batch", hint="give one set, or one per batch item")
        cfgs = tuple(self._check_params(p, i) for i, p in enumerate(items))
        return AippStage(self.cfg, batch=self.batch, layout=self.layout, name=self.name,
                         model_hw=self.model_hw, model_channels=self.channels, params=cfgs)

    def _check_params(self, p: ParamSet, i: int) -> AippConfig:
        c = p if isinstance(p, AippConfig) else from_dict(
            {"related_input_rank": self.cfg.related_input_rank, **p})
        rules.check(c)
        if c.dynamic:
            raise AippError(f"dynamic parameter set {i} is itself dynamic", rule="dynamic_fields")
        got = (rules.output_channels(c), *rules.output_hw(c))
        if got != (self.channels, *self.model_hw):
            raise AippError(f"dynamic parameter set {i} produces {got} (C, H, W), the model "
                            f"input is {(self.channels, *self.model_hw)}", rule="dynamic_shape",
                            hint="set resize_output_w/h (or crop) to the model's size")
        need = formats.frame_nbytes(c.input_format, c.src_h, c.src_w)
        if need > self.cfg.max_src_image_size:
            raise AippError(f"dynamic parameter set {i}: a {c.src_w}x{c.src_h} "
                            f"{c.input_format} frame is {need} bytes, more than "
                            f"max_src_image_size {self.cfg.max_src_image_size}",
                            rule="dynamic_max_size")
        return c

    def _items(self, frame: np.ndarray | Sequence[np.ndarray],
               ) -> list[tuple[np.ndarray, AippConfig]]:
        if self.cfg.dynamic:
            if not self.params:
                raise AippError("dynamic AIPP parameters are missing for this run",
                                rule="dynamic_params_missing",
                                hint="call stage.with_dynamic(params) / Runtime.set_aipp(...) "
                                     "before running")
            cfgs = list(self.params) * (self.batch if len(self.params) == 1 else 1)
        else:
            cfgs = [self.cfg] * self.batch
        one = formats.frame_shape(cfgs[0].input_format, cfgs[0].src_h, cfgs[0].src_w)
        a = frame if isinstance(frame, (list, tuple)) else np.asarray(frame)
        if not isinstance(a, (list, tuple)):
            per_item = self.cfg.max_src_image_size if self.cfg.dynamic else int(np.prod(one))
            if a.ndim and a.shape[0] != self.batch and a.size == self.batch * per_item:
                a = a.reshape(self.batch, -1)  # flat buffer(s); check_frame reshapes each
            if a.ndim == 0 or a.shape[0] != self.batch:
                raise AippError(f"frame batch of shape {a.shape} does not match "
                                f"{self.input_spec().shape}", rule="frame_size")
        out = []
        for f, c in zip(a, cfgs):
            f = np.asarray(f)
            if self.cfg.dynamic and f.ndim == 1 and f.size == self.cfg.max_src_image_size:
                f = f[: formats.frame_nbytes(c.input_format, c.src_h, c.src_w)]
            out.append((formats.check_frame(f, c), c))
        return out

    def _layout(self, x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(x.transpose(0, 2, 3, 1)) if self.layout == "NHWC" else x

    # -- running --------------------------------------------------------------
    def run_float(self, frame: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """The float reference: normalised model input, float32, ``output_shape()``."""
        out = [float_ref.run_float64(f, c) for f, c in self._items(frame)]
        return self._layout(np.stack(out).astype(np.float32))

    def run_int(self, frame: np.ndarray | Sequence[np.ndarray],
                out_quant: tuple[float, int, str] = (1.0, 0, "uint8"),
                rounding: RoundingMode | str = RoundingMode.HALF_TO_EVEN) -> np.ndarray:
        """The NPU path: the model input's integer codes, normalisation folded in."""
        scale, zp, dtype = out_quant
        mode = RoundingMode.parse(rounding)
        out = [integer.run_int(f, c, float(scale), int(zp), qdtype_name(dtype), mode)
               for f, c in self._items(frame)]
        return self._layout(np.stack(out))

    def fold_exact(self, scale: float) -> bool:
        """True when ``run_int`` equals ``quantize(run_float)`` to the bit (docs/aipp.md §5)."""
        cfgs = self.params or ((self.cfg,) if not self.cfg.dynamic else ())
        return bool(cfgs) and all(_fold_exact(c, scale, self.channels) for c in cfgs)

    def frame_from_image(self, rgb: np.ndarray, *, fit: bool = True) -> np.ndarray:
        """An RGB uint8 image as one raw frame of this stage (for ``npukit run``, calibration)."""
        c = self.params[0] if self.params else self.cfg
        if c.dynamic:
            raise AippError("dynamic AIPP parameters are missing for this run",
                            rule="dynamic_params_missing", hint="call with_dynamic() first")
        a = np.asarray(rgb)
        if a.shape[:2] != (c.src_h, c.src_w):
            if not fit:
                raise AippError(f"image is {a.shape[1]}x{a.shape[0]}, src_image_size is "
                                f"{c.src_w}x{c.src_h}", rule="frame_size")
            a = formats.fit_rgb(a, c.src_h, c.src_w)
        return formats.encode_rgb(a, c)

    def frame_from_file(self, path: str | Path,
                        read_image: Callable[[Path], np.ndarray] | None = None) -> np.ndarray:
        """A raw ``.yuv`` / ``.nv12`` / ``.nv21`` / ``.rgb`` / ``.bin`` file as one frame,
        or an ordinary image (decoded by ``read_image`` to RGB uint8) converted to it."""
        p = Path(path)
        c = self.params[0] if self.params else self.cfg
        if p.suffix.lower() in RAW_SUFFIXES:
            if c.dynamic:
                raise AippError("dynamic AIPP parameters are missing for this run",
                                rule="dynamic_params_missing", hint="call with_dynamic() first")
            return formats.read_raw(p, c)
        if read_image is None:
            raise AippError(f"{p.name}: not a raw frame ({', '.join(RAW_SUFFIXES)}) and no "
                            "image reader given", rule="file")
        return self.frame_from_image(read_image(p))

    def calibration_batch(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """RGB images pushed through this AIPP (float reference): what the model's input
        sees on the board, for calibrating its quantization."""
        frames = [self.frame_from_image(img) for img in images]
        one = AippStage(self.cfg, layout=self.layout, model_hw=self.model_hw, name=self.name,
                        model_channels=self.channels, params=self.params[:1])
        return np.concatenate([one.run_float(f) for f in frames])

    def summary(self) -> str:
        """One line per stage in the hardware's order, for ``npukit info`` and reports."""
        c = self.params[0] if self.params else self.cfg
        if c.dynamic:
            return (f"dynamic AIPP: parameters per run, frames up to "
                    f"{c.max_src_image_size} bytes -> {self.output_shape()}")
        fmt = c.input_format + (" (NV21)" if c.rbuv_swap and c.input_format == "YUV420SP_U8"
                                else "")
        shape = list(self.input_spec().shape)
        lines = [f"input {self.name}: {fmt} {c.src_w}x{c.src_h}, uint8{shape}"]
        for stage in rules.stage_order(c):
            text = _describe(c, stage)
            if text:
                lines.append(f"  {stage}: {text}")
        lines.append(f"model input: {c.model_format} {list(self.output_shape())} {self.layout}")
        return "\n".join(lines)

    # -- serialisation --------------------------------------------------------
    def to_json(self) -> str:
        """The manifest entry of this stage (stable key order)."""
        doc = {"version": JSON_VERSION, "name": self.name, "batch": self.batch,
               "layout": self.layout, "model_hw": list(self.model_hw),
               "model_channels": self.channels, "config": to_dict(self.cfg),
               "params": [to_dict(p) for p in self.params]}
        return json.dumps(doc, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AippStage:
        try:
            doc = json.loads(text)
            if doc.get("version") != JSON_VERSION:
                raise AippError(f"AIPP manifest version {doc.get('version')!r} is not "
                                f"{JSON_VERSION}", rule="manifest")
            return cls(from_dict(doc["config"]), batch=doc["batch"], layout=doc["layout"],
                       model_hw=tuple(doc["model_hw"]), model_channels=doc["model_channels"],
                       name=doc["name"], params=[from_dict(p) for p in doc["params"]])
        except (ValueError, KeyError, TypeError) as e:
            raise AippError(f"corrupt AIPP manifest entry: {e}", rule="manifest") from None


def _fold_exact(c: AippConfig, scale: float, channels: int) -> bool:
    """Bilinear is never exact (Q11 weights); otherwise the fold is exact when
    ``var_reci / scale`` is a dyadic number the Q31 multiplier holds, both are
    float32 values and ``mean + min`` is a multiple of 1/256, so the float
    reference's own arithmetic is exact too (docs/aipp.md §5)."""
    if c.resize is not None and c.resize.mode == "bilinear":
        return False
    _, _, mult, shift = integer.fold_params(c, scale, channels)
    n = c.normalize
    v = np.array(n.var_reci[:channels], np.float64)
    s = np.float64(scale)
    cc = np.array([n.mean[i] + n.min[i] for i in range(channels)], np.float64) * 256
    ratio = np.abs(v / s)
    return bool(np.all(v.astype(np.float32) == v) and np.float32(s) == s
                and np.all(cc == np.round(cc)) and np.all(ratio * s == np.abs(v))
                and np.all(multiplier_to_float(mult, shift) * 2.0**integer.QBITS == ratio))


def _describe(c: AippConfig, stage: str) -> str | None:
    if stage == "crop" and c.crop:
        return f"{c.crop.w}x{c.crop.h} at ({c.crop.x}, {c.crop.y})"
    if stage == "pad" and (p := c.padding):
        return f"{p.mode} l{p.left} r{p.right} t{p.top} b{p.bottom}"
    if stage == "resize" and c.resize:
        return f"{c.resize.mode} to {c.resize.output_w}x{c.resize.output_h}"
    if stage == "csc" and c.csc:
        return f"{c.color_standard} matrix {[list(r) for r in c.csc.matrix]}"
    if stage == "normalize":
        n, k = c.normalize, rules.output_channels(c)
        if any(n.mean[:k]) or any(n.min[:k]) or any(v != 1.0 for v in n.var_reci[:k]):
            return (f"mean {list(n.mean[:k])} min {list(n.min[:k])} "
                    f"var_reci {[round(v, 6) for v in n.var_reci[:k]]}")
    return None
