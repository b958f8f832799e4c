"""AIPP configuration: one frozen ``AippConfig`` per model input (docs/aipp.md).

The field names are those of Ascend ATC's ``insert_op_conf`` file, so a
config users already have reads unchanged; two npukit fields are added
(``model_format``, ``color_standard``).  ATC text and TOML both parse into the
same flat ``{field: value}`` dict, which ``from_dict`` checks field by field
(unknown names get a difflib suggestion) and then against the hardware rules
(``rules.py``).  ``to_dict`` gives the flat dict back, so configs round-trip.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from typing import Any

from npukit.errors import NpukitError


class AippError(NpukitError):
    """A bad AIPP config, frame or dynamic parameter set; ``rule`` names the broken rule."""

    def __init__(self, message: str, *, rule: str | None = None,
                 hint: str | None = None) -> None:
        self.rule = rule
        prefix = f"AIPP rule '{rule}' broken: " if rule else "AIPP: "
        super().__init__(prefix + message, hint=hint)


INPUT_FORMATS = ("YUV420SP_U8", "YUV444_U8", "RGB888_U8", "BGR888_U8", "XRGB8888_U8",
                 "ARGB8888_U8", "YUV400_U8", "RGB_PLANAR_U8", "BGR_PLANAR_U8")
FORMAT_ALIASES = {"GRAY_U8": "YUV400_U8", "NV12": "YUV420SP_U8"}
MODEL_FORMATS = ("RGB", "BGR", "GRAY", "YUV444")
COLOR_STANDARDS = ("bt601_narrow", "bt601_full", "bt709_narrow", "bt709_full")
PAD_MODES = ("const_zero", "const", "duplicate", "reflection", "symmetric")
RESIZE_MODES = ("nearest", "bilinear")
_F16_MAX = 65504.0

# name: (kind, lo, hi, default); kind is int / float / bool / a tuple of choices
_SPEC: dict[str, tuple[Any, float, float, Any]] = {
    "related_input_rank": (int, 0, 63, 0),
    "aipp_mode": (("static", "dynamic"), 0, 0, "static"),
    "input_format": (INPUT_FORMATS, 0, 0, None),
    "model_format": (MODEL_FORMATS, 0, 0, "RGB"),
    "color_standard": (COLOR_STANDARDS, 0, 0, "bt601_narrow"),
    "max_src_image_size": (int, 0, 2**31 - 1, 0),
    "src_image_size_w": (int, 1, 8192, None), "src_image_size_h": (int, 1, 8192, None),
    "rbuv_swap_switch": (bool, 0, 0, False), "ax_swap_switch": (bool, 0, 0, False),
    "csc_switch": (bool, 0, 0, False),
    **{f"matrix_r{r}c{c}": (int, -32768, 32767, None) for r in range(3) for c in range(3)},
    **{f"{b}_bias_{i}": (int, 0, 255, None) for b in ("input", "output") for i in range(3)},
    "crop": (bool, 0, 0, False),
    "load_start_pos_w": (int, 0, 8191, 0), "load_start_pos_h": (int, 0, 8191, 0),
    "crop_size_w": (int, 0, 8192, 0), "crop_size_h": (int, 0, 8192, 0),
    "padding": (bool, 0, 0, False),
    **{f"{s}_padding_size": (int, 0, 32, 0) for s in ("left", "right", "top", "bottom")},
    "padding_mode": (PAD_MODES, 0, 0, "const_zero"),
    **{f"padding_value_chn_{i}": (int, 0, 255, 0) for i in range(3)},
    "resize": (bool, 0, 0, False), "resize_mode": (RESIZE_MODES, 0, 0, "bilinear"),
    "resize_input_w": (int, 0, 8192, 0), "resize_input_h": (int, 0, 8192, 0),
    "resize_output_w": (int, 1, 8192, None), "resize_output_h": (int, 1, 8192, None),
    **{f"mean_chn_{i}": (int, 0, 255, 0) for i in range(4)},
    **{f"min_chn_{i}": (float, 0.0, 255.0, 0.0) for i in range(4)},
    **{f"var_reci_chn_{i}": (float, -_F16_MAX, _F16_MAX, 1.0) for i in range(4)},
}
FIELDS: tuple[str, ...] = tuple(_SPEC)


@dataclass(frozen=True)
class Csc:
    """Colour-space conversion ``out = ((M @ (in - input_bias)) >> 8) + output_bias``."""

    matrix: tuple[tuple[int, int, int], ...]
    input_bias: tuple[int, int, int]
    output_bias: tuple[int, int, int]


@dataclass(frozen=True)
class Crop:
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class Padding:
    left: int
    right: int
    top: int
    bottom: int
    mode: str = "const_zero"
    value: tuple[int, int, int] = (0, 0, 0)


@dataclass(frozen=True)
class Resize:
    mode: str
    output_w: int
    output_h: int
    input_w: int = 0  # 0: the size after crop and padding
    input_h: int = 0


@dataclass(frozen=True)
class Normalize:
    """``out_c = (pixel_c - mean_chn_c - min_chn_c) * var_reci_chn_c``."""

    mean: tuple[int, ...] = (0, 0, 0, 0)
    min: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0)
    var_reci: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)


@dataclass(frozen=True)
class AippConfig:
    """One ``aipp_op`` block: the preprocessing of one model input."""

    input_format: str = "YUV420SP_U8"
    src_w: int = 0
    src_h: int = 0
    aipp_mode: str = "static"
    related_input_rank: int = 0
    model_format: str = "RGB"
    color_standard: str = "bt601_narrow"
    rbuv_swap: bool = False
    ax_swap: bool = False
    csc: Csc | None = None
    crop: Crop | None = None
    padding: Padding | None = None
    resize: Resize | None = None
    normalize: Normalize = field(default_factory=Normalize)
    max_src_image_size: int = 0

    @property
    def dynamic(self) -> bool:
        return self.aipp_mode == "dynamic"

    def replace(self, **changes: Any) -> AippConfig:
        return replace(self, **changes)


def suggest(name: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """``did you mean 'x'?`` for a misspelled name, or None."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _coerce(name: str, raw: Any) -> Any:
    kind, lo, hi, _ = _SPEC[name]
    text = str(raw).strip().strip('"').strip("'")
    if isinstance(kind, tuple):
        if name == "input_format" and text.upper() in FORMAT_ALIASES:
            text = FORMAT_ALIASES[text.upper()]
        canon = {k.lower(): k for k in kind}
        if text.lower() not in canon:
            raise AippError(f"{name} = {text!r} is not one of {', '.join(kind)}",
                            rule="field_value", hint=suggest(text, list(kind)))
        return canon[text.lower()]
    if kind is bool:
        if isinstance(raw, bool) or text.lower() in ("true", "false", "1", "0"):
            return raw if isinstance(raw, bool) else text.lower() in ("true", "1")
        raise AippError(f"{name} = {text!r} is not a boolean (true / false)",
                        rule="field_value")
    try:
        if kind is float:
            value = float(text)
        else:
            hexa = text.lower().lstrip("+-").startswith("0x")
            value = int(text, 16) if hexa else int(text)
    except ValueError:
        raise AippError(f"{name} = {text!r} is not {'a number' if kind is float else 'an integer'}",
                        rule="field_value") from None
    if not lo <= value <= hi:
        hint = ("ATC's 0 (take the size from the model) is not supported: write the "
                "camera's frame size") if name.startswith("src_image_size") and not value else None
        raise AippError(f"{name} = {value} is out of range [{lo}, {hi}]", rule="field_range",
                        hint=hint)
    return value


def check_names(d: dict[str, Any]) -> None:
    """Raise on an unknown field name, suggesting the closest known one."""
    for name in d:
        if name not in _SPEC:
            raise AippError(f"unknown field '{name}'", rule="known_fields",
                            hint=suggest(name, FIELDS) or "see docs/aipp.md for the field list")


def from_dict(d: dict[str, Any], *, check: bool = True) -> AippConfig:
    """An ``AippConfig`` from flat ATC-named fields (strings or typed values)."""
    from npukit.preprocess import defaults, rules  # same layer, no cycle at import time

    check_names(d)
    v = {k: _coerce(k, x) for k, x in d.items()}
    g = lambda k: v.get(k, _SPEC[k][3])  # noqa: E731
    if "input_format" not in v and g("aipp_mode") == "static":
        raise AippError("input_format is required", rule="required_fields")
    rules.check_switches(v)
    fmt, model = g("input_format") or "YUV420SP_U8", g("model_format")
    csc = None
    if g("csc_switch"):
        base = defaults.csc_default(fmt, model, g("color_standard"))
        csc = Csc(tuple(tuple(v.get(f"matrix_r{r}c{c}", base.matrix[r][c]) for c in range(3))
                        for r in range(3)),
                  tuple(v.get(f"input_bias_{i}", base.input_bias[i]) for i in range(3)),
                  tuple(v.get(f"output_bias_{i}", base.output_bias[i]) for i in range(3)))
    crop = Crop(g("load_start_pos_w"), g("load_start_pos_h"), g("crop_size_w"),
                g("crop_size_h")) if g("crop") else None
    pad = Padding(*(g(f"{s}_padding_size") for s in ("left", "right", "top", "bottom")),
                  g("padding_mode"), tuple(g(f"padding_value_chn_{i}") for i in range(3))
                  ) if g("padding") else None
    resize = None
    if g("resize"):
        for k in ("resize_output_w", "resize_output_h"):
            if k not in v:
                raise AippError(f"resize is on but {k} is missing", rule="required_fields")
        resize = Resize(g("resize_mode"), g("resize_output_w"), g("resize_output_h"),
                        g("resize_input_w"), g("resize_input_h"))
    norm = Normalize(tuple(g(f"mean_chn_{i}") for i in range(4)),
                     tuple(g(f"min_chn_{i}") for i in range(4)),
                     tuple(g(f"var_reci_chn_{i}") for i in range(4)))
    cfg = AippConfig(fmt, g("src_image_size_w") or 0, g("src_image_size_h") or 0,
                     g("aipp_mode"), g("related_input_rank"), model, g("color_standard"),
                     g("rbuv_swap_switch"), g("ax_swap_switch"), csc, crop, pad, resize,
                     norm, g("max_src_image_size"))
    if check:
        rules.check(cfg)
    return cfg


def to_dict(cfg: AippConfig) -> dict[str, Any]:
    """Flat ATC-named fields; ``from_dict(to_dict(c)) == c``."""
    d: dict[str, Any] = {"related_input_rank": cfg.related_input_rank,
                         "aipp_mode": cfg.aipp_mode}
    if cfg.dynamic:
        return {**d, "max_src_image_size": cfg.max_src_image_size,
                "input_format": cfg.input_format}
    d.update(input_format=cfg.input_format, model_format=cfg.model_format,
             color_standard=cfg.color_standard, src_image_size_w=cfg.src_w,
             src_image_size_h=cfg.src_h, rbuv_swap_switch=cfg.rbuv_swap,
             ax_swap_switch=cfg.ax_swap, csc_switch=cfg.csc is not None)
    if cfg.csc:
        d.update({f"matrix_r{r}c{c}": cfg.csc.matrix[r][c] for r in range(3) for c in range(3)})
        d.update({f"input_bias_{i}": cfg.csc.input_bias[i] for i in range(3)})
        d.update({f"output_bias_{i}": cfg.csc.output_bias[i] for i in range(3)})
    d["crop"] = cfg.crop is not None
    if cfg.crop:
        d.update(load_start_pos_w=cfg.crop.x, load_start_pos_h=cfg.crop.y,
                 crop_size_w=cfg.crop.w, crop_size_h=cfg.crop.h)
    d["padding"] = cfg.padding is not None
    if p := cfg.padding:
        d.update(left_padding_size=p.left, right_padding_size=p.right,
                 top_padding_size=p.top, bottom_padding_size=p.bottom, padding_mode=p.mode)
        d.update({f"padding_value_chn_{i}": p.value[i] for i in range(3)})
    d["resize"] = cfg.resize is not None
    if r := cfg.resize:
        d.update(resize_mode=r.mode, resize_input_w=r.input_w, resize_input_h=r.input_h,
                 resize_output_w=r.output_w, resize_output_h=r.output_h)
    n = cfg.normalize
    for i in range(4):
        d.update({f"mean_chn_{i}": n.mean[i], f"min_chn_{i}": n.min[i],
                  f"var_reci_chn_{i}": n.var_reci[i]})
    return d
