"""The hardware rules an AIPP config must keep, as small named predicates.

Each ``rule_<name>(cfg)`` returns ``None`` when the config keeps the rule, else
the reason; ``check`` raises ``AippError`` naming the first broken rule.  The
same names appear in docs/aipp.md §4 and each has a test.  Also here: the
stage order the hardware runs and the model input size a config produces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from npukit.preprocess.config import _SPEC, AippConfig, AippError
from npukit.preprocess.defaults import is_yuv
from npukit.preprocess.formats import BITS_PER_PIXEL, channels_in

_SWITCHED = {
    "csc_switch": ("matrix_r", "input_bias_", "output_bias_"),
    "crop": ("load_start_pos_", "crop_size_"),
    "padding": ("_padding_size", "padding_mode", "padding_value_"),
    "resize": ("resize_",),
}
DYNAMIC_FIELDS = {"related_input_rank", "aipp_mode", "max_src_image_size", "input_format"}
MAX_RESIZE_RATIO = 16


def check_switches(given: dict[str, Any]) -> None:
    """Fields of a stage whose switch is off, and static fields in a dynamic block."""
    if given.get("aipp_mode") == "dynamic":
        extra = sorted(set(given) - DYNAMIC_FIELDS)
        if extra:
            raise AippError(f"a dynamic aipp_op takes its parameters at run time, "
                            f"so {', '.join(extra)} cannot be set here", rule="dynamic_fields",
                            hint="keep related_input_rank, aipp_mode and max_src_image_size")
        return
    for switch, parts in _SWITCHED.items():
        if given.get(switch, False):
            continue
        for name, value in given.items():
            if any(p in name for p in parts) and value != _SPEC[name][3]:
                raise AippError(f"{name} is set but {switch} is false", rule="stage_switched_off",
                                hint=f"add '{switch} : true' or remove {name}")


def size_after_crop(cfg: AippConfig) -> tuple[int, int]:
    return (cfg.crop.h, cfg.crop.w) if cfg.crop else (cfg.src_h, cfg.src_w)


def size_after_pad(cfg: AippConfig) -> tuple[int, int]:
    h, w = size_after_crop(cfg)
    p = cfg.padding
    return (h + p.top + p.bottom, w + p.left + p.right) if p else (h, w)


def output_hw(cfg: AippConfig) -> tuple[int, int]:
    """The model input's (H, W) after AIPP."""
    r = cfg.resize
    return (r.output_h, r.output_w) if r else size_after_pad(cfg)


def output_channels(cfg: AippConfig) -> int:
    return 1 if cfg.model_format == "GRAY" else 3


def stage_order(cfg: AippConfig) -> tuple[str, ...]:
    """The stages in the order the hardware runs them (docs/aipp.md §2)."""
    order = ["crop", "pad"]
    if cfg.resize and cfg.resize.mode == "nearest":
        order.append("resize")
    order += ["csc", "channel_swap", "normalize"]
    if cfg.resize and cfg.resize.mode == "bilinear":
        order.append("resize")
    return tuple(order)


def rule_src_size(cfg: AippConfig) -> str | None:
    if not cfg.dynamic and (cfg.src_w <= 0 or cfg.src_h <= 0):
        return "src_image_size_w and src_image_size_h are required for static AIPP"
    return None


def rule_dynamic_max_size(cfg: AippConfig) -> str | None:
    if cfg.dynamic and cfg.max_src_image_size <= 0:
        return "dynamic AIPP needs max_src_image_size (bytes of the largest frame)"
    return None


def rule_format_pair(cfg: AippConfig) -> str | None:
    """Which model formats an input format reaches, with or without CSC."""
    fmt, model = cfg.input_format, cfg.model_format
    if channels_in(fmt) == 1:
        if cfg.csc or model != "GRAY":
            return f"{fmt} has one channel: model_format must be GRAY and csc_switch false"
    elif cfg.csc is None and is_yuv(fmt) and model in ("RGB", "BGR"):
        return f"{fmt} -> {model} needs csc_switch : true (colour conversion)"
    elif cfg.csc is None and not is_yuv(fmt) and model in ("YUV444", "GRAY"):
        return f"{fmt} -> {model} needs csc_switch : true (colour conversion)"
    return None


def rule_crop_inside(cfg: AippConfig) -> str | None:
    c = cfg.crop
    if c is None:
        return None
    if c.w <= 0 or c.h <= 0:
        return "crop_size_w and crop_size_h must be set (> 0) when crop is true"
    if c.x + c.w > cfg.src_w or c.y + c.h > cfg.src_h:
        return (f"crop {c.w}x{c.h} at ({c.x}, {c.y}) reaches outside the "
                f"{cfg.src_w}x{cfg.src_h} frame")
    return None


def rule_crop_alignment(cfg: AippConfig) -> str | None:
    if cfg.crop and (cfg.crop.x * BITS_PER_PIXEL[cfg.input_format]) % 8:
        return (f"load_start_pos_w x bits-per-pixel must be a multiple of 8: "
                f"{cfg.crop.x} x {BITS_PER_PIXEL[cfg.input_format]} is not")
    return None


def rule_yuv420sp_even(cfg: AippConfig) -> str | None:
    if cfg.input_format != "YUV420SP_U8" or cfg.dynamic:
        return None
    if cfg.src_w % 2 or cfg.src_h % 2:
        return f"YUV420SP frames have even sizes, got {cfg.src_w}x{cfg.src_h}"
    c = cfg.crop
    if c and any(v % 2 for v in (c.x, c.y, c.w, c.h)):
        return ("YUV420SP crops start and end on even coordinates (a chroma sample covers "
                f"2x2 pixels): load_start_pos {c.x},{c.y}, crop_size {c.w}x{c.h}")
    return None


def rule_pad_fits(cfg: AippConfig) -> str | None:
    p = cfg.padding
    if p is None or p.mode not in ("reflection", "symmetric"):
        return None
    h, w = size_after_crop(cfg)
    limit_w, limit_h = (w - 1, h - 1) if p.mode == "reflection" else (w, h)
    if max(p.left, p.right) > limit_w or max(p.top, p.bottom) > limit_h:
        return f"{p.mode} padding cannot be wider than the {w}x{h} image it mirrors"
    return None


def rule_resize_input(cfg: AippConfig) -> str | None:
    r = cfg.resize
    if r is None:
        return None
    h, w = size_after_pad(cfg)
    if (r.input_w and r.input_w != w) or (r.input_h and r.input_h != h):
        return (f"resize_input {r.input_w}x{r.input_h} does not match the {w}x{h} image "
                "left after crop and padding")
    return None


def rule_resize_ratio(cfg: AippConfig) -> str | None:
    r = cfg.resize
    if r is None:
        return None
    h, w = size_after_pad(cfg)
    for n_in, n_out, axis in ((w, r.output_w, "w"), (h, r.output_h, "h")):
        if not n_in / MAX_RESIZE_RATIO <= n_out <= n_in * MAX_RESIZE_RATIO:
            return (f"resize {axis}: {n_in} -> {n_out} is beyond the 1/{MAX_RESIZE_RATIO}.."
                    f"{MAX_RESIZE_RATIO}x range")
    return None


def rule_nearest_vertical_pad(cfg: AippConfig) -> str | None:
    r, p = cfg.resize, cfg.padding
    if r is None or p is None or r.mode != "nearest" or p.mode != "const_zero":
        return None
    if (p.top or p.bottom) and r.output_h < size_after_pad(cfg)[0]:
        return ("top/bottom const_zero padding cannot be combined with a nearest resize "
                "that shrinks the height")
    return None


def rule_unused_channel(cfg: AippConfig) -> str | None:
    n, c = cfg.normalize, output_channels(cfg)
    for i in range(c, 4):
        if n.mean[i] or n.min[i] or n.var_reci[i] != 1.0:
            return f"mean/min/var_reci_chn_{i} set but the model input has {c} channel(s)"
    return None


RULES: dict[str, Callable[[AippConfig], str | None]] = {  # checked in definition order
    name[5:]: fn for name, fn in list(globals().items()) if name.startswith("rule_")}


def check(cfg: AippConfig) -> None:
    """Raise ``AippError`` naming the first rule ``cfg`` breaks."""
    for name in (("src_size", "dynamic_max_size") if cfg.dynamic else RULES):
        reason = RULES[name](cfg)
        if reason:
            raise AippError(reason, rule=name)
