"""Hypothesis strategy: random valid-looking AIPP configs (flat field dicts), small frames."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from npukit.preprocess import INPUT_FORMATS

EXACT = settings(max_examples=200, derandomize=True, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=60, derandomize=True, deadline=None,
               suppress_health_check=[HealthCheck.too_slow])


def _models(fmt: str, csc: bool) -> list[str]:
    if fmt == "YUV400_U8":
        return ["GRAY"]
    if fmt.startswith("YUV"):
        return ["RGB", "BGR", "GRAY", "YUV444"] if csc else ["YUV444", "GRAY"]
    return ["RGB", "BGR", "GRAY", "YUV444"] if csc else ["RGB", "BGR"]


@st.composite
def configs(draw, bilinear: bool = True) -> dict:
    fmt = draw(st.sampled_from(INPUT_FORMATS))
    w, h = 2 * draw(st.integers(2, 7)), 2 * draw(st.integers(2, 7))
    csc = fmt != "YUV400_U8" and draw(st.booleans())
    d = {"input_format": fmt, "src_image_size_w": w, "src_image_size_h": h,
         "rbuv_swap_switch": draw(st.booleans()), "ax_swap_switch": draw(st.booleans()),
         "csc_switch": csc, "model_format": draw(st.sampled_from(_models(fmt, csc))),
         "color_standard": draw(st.sampled_from(["bt601_narrow", "bt601_full",
                                                 "bt709_narrow", "bt709_full"]))}
    if csc and draw(st.booleans()):
        d.update({f"matrix_r{r}c{c}": draw(st.integers(-700, 700))
                  for r in range(3) for c in range(3)})
        d.update({f"output_bias_{i}": draw(st.integers(0, 255)) for i in range(3)})
    cw, ch = w, h
    if draw(st.booleans()):
        cw, ch = 2 * draw(st.integers(1, w // 2)), 2 * draw(st.integers(1, h // 2))
        d.update(crop=True, crop_size_w=cw, crop_size_h=ch,
                 load_start_pos_w=2 * draw(st.integers(0, (w - cw) // 2)),
                 load_start_pos_h=2 * draw(st.integers(0, (h - ch) // 2)))
    if draw(st.booleans()):
        mode = draw(st.sampled_from(["const_zero", "const", "duplicate", "reflection",
                                     "symmetric"]))
        lim_w, lim_h = min(cw - 1, 3), min(ch - 1, 3)
        d.update(padding=True, padding_mode=mode,
                 left_padding_size=draw(st.integers(0, lim_w)),
                 right_padding_size=draw(st.integers(0, lim_w)),
                 top_padding_size=draw(st.integers(0, lim_h)),
                 bottom_padding_size=draw(st.integers(0, lim_h)),
                 **{f"padding_value_chn_{i}": draw(st.integers(0, 255)) for i in range(3)})
    if draw(st.booleans()):
        modes = ["nearest", "bilinear"] if bilinear else ["nearest"]
        d.update(resize=True, resize_mode=draw(st.sampled_from(modes)),
                 resize_output_w=draw(st.integers(1, 13)),
                 resize_output_h=draw(st.integers(1, 13)))
    for i in range(1 if d["model_format"] == "GRAY" else 3):
        d[f"mean_chn_{i}"] = draw(st.integers(0, 255))
        d[f"min_chn_{i}"] = draw(st.integers(0, 1020)) / 4
        d[f"var_reci_chn_{i}"] = draw(st.sampled_from([1.0, 0.5, -0.25, 1 / 58.395,
                                                        0.0171, 3.0, 0.0]))
    return d
