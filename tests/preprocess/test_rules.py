"""Every hardware rule has a config that breaks it, and the error names the rule."""

from __future__ import annotations

import pytest

from npukit.preprocess import RULES, AippError, from_dict, output_hw, stage_order
from npukit.preprocess.rules import output_channels


def _nv12(**kw):
    return {"input_format": "YUV420SP_U8", "src_image_size_w": 64, "src_image_size_h": 48,
            "csc_switch": True, **kw}


CROP = {"crop": True, "load_start_pos_w": 0, "load_start_pos_h": 0,
        "crop_size_w": 32, "crop_size_h": 32}
BROKEN = {  # rule -> a config that breaks it (and only after the rules before it pass)
    "src_size": {"input_format": "RGB888_U8"},
    "dynamic_max_size": {"aipp_mode": "dynamic"},
    "format_pair": _nv12(csc_switch=False),
    "crop_inside": _nv12(**{**CROP, "load_start_pos_w": 40}),
    "crop_alignment": _nv12(**{**CROP, "load_start_pos_w": 3}),
    "yuv420sp_even": _nv12(**{**CROP, "crop_size_h": 31}),
    "pad_fits": _nv12(**CROP, padding=True, left_padding_size=32, padding_mode="reflection"),
    "resize_input": _nv12(resize=True, resize_input_w=60, resize_output_w=8,
                          resize_output_h=8),
    "resize_ratio": _nv12(resize=True, resize_output_w=2, resize_output_h=8),
    "nearest_vertical_pad": _nv12(padding=True, top_padding_size=2, resize=True,
                                  resize_mode="nearest", resize_output_w=32,
                                  resize_output_h=24),
    "unused_channel": _nv12(mean_chn_3=1),
}


def test_every_rule_has_a_breaking_case():
    assert set(BROKEN) == set(RULES)


@pytest.mark.parametrize("rule", list(BROKEN))
def test_rule_is_named_when_broken(rule):
    with pytest.raises(AippError) as e:
        from_dict(BROKEN[rule])
    assert e.value.rule == rule
    assert f"AIPP rule '{rule}' broken" in str(e.value)


@pytest.mark.parametrize("fields, rule", [
    (_nv12(csc_switch=False, model_format="YUV444"), None),
    ({"input_format": "RGB888_U8", "src_image_size_w": 8, "src_image_size_h": 8,
      "model_format": "GRAY"}, "format_pair"),
    ({"input_format": "YUV400_U8", "src_image_size_w": 8, "src_image_size_h": 8}, "format_pair"),
    ({"input_format": "YUV400_U8", "src_image_size_w": 8, "src_image_size_h": 8,
      "model_format": "GRAY"}, None),
    (_nv12(src_image_size_w=63), "yuv420sp_even"),
    (_nv12(**{**CROP, "load_start_pos_h": 1}), "yuv420sp_even"),
    (_nv12(**{**CROP, "crop_size_w": 0}), "crop_inside"),
    (_nv12(**{**CROP, "crop_size_h": 50}), "crop_inside"),
    ({"input_format": "RGB888_U8", "src_image_size_w": 8, "src_image_size_h": 8,
      "crop": True, "load_start_pos_w": 3, "crop_size_w": 4, "crop_size_h": 4}, None),
    (_nv12(**CROP, padding=True, left_padding_size=31, padding_mode="reflection"), None),
    (_nv12(**CROP, padding=True, left_padding_size=32, padding_mode="symmetric"), None),
    (_nv12(padding=True, top_padding_size=2, padding_mode="duplicate", resize=True,
           resize_mode="nearest", resize_output_w=32, resize_output_h=24), None),
    (_nv12(padding=True, top_padding_size=2, resize=True, resize_mode="nearest",
           resize_output_w=32, resize_output_h=64), None),
    (_nv12(padding=True, left_padding_size=2, resize=True, resize_mode="nearest",
           resize_output_w=32, resize_output_h=24), None),
    (_nv12(padding=True, top_padding_size=2, resize=True, resize_mode="bilinear",
           resize_output_w=32, resize_output_h=24), None),
    (_nv12(resize=True, resize_output_w=64 * 17, resize_output_h=8), "resize_ratio"),
    (_nv12(resize=True, resize_input_w=64, resize_input_h=48, resize_output_w=8,
           resize_output_h=8), None),
    (_nv12(model_format="GRAY", mean_chn_1=3), "unused_channel"),
])
def test_rule_edges(fields, rule):
    if rule is None:
        from_dict(fields)
    else:
        with pytest.raises(AippError) as e:
            from_dict(fields)
        assert e.value.rule == rule


def test_switched_off_stage_and_dynamic_fields():
    with pytest.raises(AippError, match="(?s)stage_switched_off.*crop_size_w is set but crop "
                                        "is false.*crop : true"):
        from_dict(_nv12(crop_size_w=8))
    from_dict(_nv12(crop=False, load_start_pos_w=0))  # default values are fine
    with pytest.raises(AippError, match="stage_switched_off.*matrix_r0c0"):
        from_dict(_nv12(csc_switch=False, model_format="YUV444", matrix_r0c0=256))
    with pytest.raises(AippError, match="dynamic_fields.*mean_chn_0"):
        from_dict({"aipp_mode": "dynamic", "max_src_image_size": 100, "mean_chn_0": 3})


def test_order_follows_the_resize_mode():
    nearest = from_dict(_nv12(resize=True, resize_mode="nearest", resize_output_w=8,
                              resize_output_h=8))
    bilinear = from_dict(_nv12(resize=True, resize_output_w=8, resize_output_h=8))
    assert stage_order(nearest) == ("crop", "pad", "resize", "csc", "channel_swap",
                                    "normalize")
    assert stage_order(bilinear) == ("crop", "pad", "csc", "channel_swap", "normalize",
                                     "resize")


def test_model_input_size_is_computed():
    cfg = from_dict(_nv12(**CROP, padding=True, left_padding_size=3, right_padding_size=5,
                          top_padding_size=1, padding_mode="duplicate"))
    assert output_hw(cfg) == (33, 40)
    assert output_hw(from_dict(_nv12())) == (48, 64)
    assert output_hw(from_dict(_nv12(resize=True, resize_output_w=20,
                                     resize_output_h=10))) == (10, 20)
    assert output_channels(from_dict(_nv12(csc_switch=False, model_format="GRAY"))) == 1
