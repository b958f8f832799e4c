"""AIPP config: ATC text and TOML parse to the same object; every bad input is a clear error."""

from __future__ import annotations

import pytest
from hypothesis import assume, given

from npukit.errors import NpukitError
from npukit.preprocess import (
    AippConfig,
    AippError,
    from_dict,
    load_aipp,
    parse_atc,
    parse_toml,
    to_atc,
    to_dict,
    to_toml,
)
from npukit.preprocess.defaults import RGB2YUV, YUV2RGB

from ._strategies import FEW, configs

ATC = """
# camera NV21 1280x720 -> 224x224 RGB, ImageNet normalisation
aipp_op {
    related_input_rank : 0
    aipp_mode : static
    input_format : YUV420SP_U8
    src_image_size_w : 1280
    src_image_size_h : 720
    rbuv_swap_switch : true
    csc_switch : true
    matrix_r0c0 : 298
    matrix_r0c1 : 0
    matrix_r0c2 : 409
    input_bias_0 : 16
    crop : true
    load_start_pos_w : 160
    load_start_pos_h : 0
    crop_size_w : 960
    crop_size_h : 720
    padding : true
    left_padding_size : 4
    right_padding_size : 4
    padding_mode : reflection
    resize : true
    resize_mode : "bilinear"
    resize_output_w : 224
    resize_output_h : 224
    mean_chn_0 : 123
    mean_chn_1 : 117
    mean_chn_2 : 104
    min_chn_0 : 0.5
    var_reci_chn_0 : 0.0171
    var_reci_chn_1 : 0.0175
    var_reci_chn_2 : 0.0174
}
"""

TOML = """
[[aipp_op]]
related_input_rank = 0
aipp_mode = "static"
input_format = "YUV420SP_U8"
src_image_size_w = 1280
src_image_size_h = 720
rbuv_swap_switch = true
csc_switch = true
matrix_r0c0 = 298
matrix_r0c1 = 0
matrix_r0c2 = 409
input_bias_0 = 16
crop = true
load_start_pos_w = 160
load_start_pos_h = 0
crop_size_w = 960
crop_size_h = 720
padding = true
left_padding_size = 4
right_padding_size = 4
padding_mode = "reflection"
resize = true
resize_mode = "bilinear"
resize_output_w = 224
resize_output_h = 224
mean_chn_0 = 123
mean_chn_1 = 117
mean_chn_2 = 104
min_chn_0 = 0.5
var_reci_chn_0 = 0.0171
var_reci_chn_1 = 0.0175
var_reci_chn_2 = 0.0174
"""


def test_atc_and_toml_parse_to_the_same_object(tmp_path):
    a, t = parse_atc(ATC), parse_toml(TOML)
    assert a == t
    assert a.rbuv_swap and a.crop.x == 160 and a.padding.mode == "reflection"
    assert a.resize.output_w == 224 and a.normalize.min[0] == 0.5
    (tmp_path / "aipp.cfg").write_text(ATC)
    (tmp_path / "aipp.toml").write_text(TOML)
    assert load_aipp(tmp_path / "aipp.cfg") == load_aipp(tmp_path / "aipp.toml") == a


def test_dict_round_trip_and_top_level_toml():
    cfg = parse_atc(ATC)
    assert from_dict(to_dict(cfg)) == cfg
    body = TOML.replace("[[aipp_op]]\n", "")
    assert parse_toml(body) == cfg


def test_unset_matrix_entries_take_the_standard_defaults():
    cfg = parse_atc(ATC)
    assert cfg.csc.matrix == YUV2RGB["bt601_narrow"]
    assert cfg.csc.input_bias == (16, 128, 128)
    bgr = from_dict({"input_format": "YUV420SP_U8", "src_image_size_w": 8,
                     "src_image_size_h": 8, "csc_switch": True, "model_format": "BGR",
                     "color_standard": "bt709_full"})
    assert bgr.csc.matrix == YUV2RGB["bt709_full"][::-1] and bgr.csc.input_bias == (0, 128, 128)
    yuv = from_dict({"input_format": "RGB888_U8", "src_image_size_w": 8, "src_image_size_h": 8,
                     "csc_switch": True, "model_format": "YUV444"})
    assert yuv.csc.matrix == RGB2YUV["bt601_narrow"] and yuv.csc.output_bias == (16, 128, 128)


def test_several_blocks_select_by_rank():
    two = ATC + ATC.replace("related_input_rank : 0", "related_input_rank : 1")
    assert parse_atc(two, rank=1).related_input_rank == 1
    with pytest.raises(AippError, match="(?s)one_block_per_input.*pass rank"):
        parse_atc(two)
    with pytest.raises(AippError, match="one_block_per_input"):
        parse_atc(ATC + ATC)
    with pytest.raises(AippError, match="no aipp_op block for input rank 3"):
        parse_atc(two, rank=3)


def test_aipp_error_is_an_npukit_error_with_the_rule():
    with pytest.raises(NpukitError) as e:
        from_dict({"input_format": "YUV420SP_U8"})
    assert e.value.rule == "src_size"
    assert isinstance(e.value, AippError)


def _base(**kw):
    return {"input_format": "YUV420SP_U8", "src_image_size_w": 64, "src_image_size_h": 48,
            "csc_switch": True, **kw}


@pytest.mark.parametrize("fields, pattern", [
    ({"src_image_size_W": 64}, r"known_fields.*unknown field 'src_image_size_W'.*"
                               r"did you mean 'src_image_size_w'"),
    ({"crop_size_wdth": 8}, r"did you mean 'crop_size_w'"),
    ({"var_reci_chnl_0": 1.0}, r"did you mean 'var_reci_chn_0'"),
    ({"colour_space": 1}, r"did you mean 'color_standard'"),
    ({"zzz": 1}, r"unknown field 'zzz'.*docs/aipp.md"),
    ({"mean_chn_0": 300}, r"field_range.*mean_chn_0 = 300 is out of range \[0, 255\]"),
    ({"var_reci_chn_1": 70000.0}, r"field_range.*var_reci_chn_1"),
    ({"min_chn_2": -1}, r"field_range.*min_chn_2"),
    ({"matrix_r0c0": 40000}, r"field_range.*matrix_r0c0"),
    ({"src_image_size_w": 0}, r"field_range.*src_image_size_w.*write the camera's frame size"),
    ({"input_format": "YUV420SP"}, r"field_value.*did you mean 'YUV420SP_U8'"),
    ({"resize": "yes"}, r"field_value.*not a boolean"),
    ({"mean_chn_0": "1.5"}, r"field_value.*not an integer"),
    ({"min_chn_0": "abc"}, r"field_value.*not a number"),
    ({"aipp_mode": "dinamic"}, r"did you mean 'dynamic'"),
])
def test_bad_fields(fields, pattern):
    with pytest.raises(AippError, match="(?s)" + pattern):
        from_dict(_base(**fields))


@pytest.mark.parametrize("text, pattern", [
    ("aipp_op { input_format : YUV420SP_U8 ", r"syntax.*not closed"),
    ("aipp_opp { }", r"syntax.*unexpected block 'aipp_opp'.*did you mean 'aipp_op'"),
    ("input_format : RGB888_U8", r"syntax.*outside an aipp_op block"),
    ("}", r"syntax.*without"),
    ("aipp_op { input_format = RGB888_U8 }", r"syntax.*cannot parse line 1"),
    ("aipp_op { crop : true \n crop : false }", r"each_stage_once.*line 2.*'crop' given twice"),
    ("# only a comment\n", r"syntax.*no aipp_op block"),
])
def test_bad_atc_text(text, pattern):
    with pytest.raises(AippError, match="(?s)" + pattern):
        parse_atc(text)


def test_bad_toml_and_missing_file(tmp_path):
    with pytest.raises(AippError, match="syntax.*not valid TOML"):
        parse_toml("[[aipp_op]\n")
    with pytest.raises(AippError, match="(?s)known_fields.*did you mean 'aipp_op'"):
        parse_toml("aipp_opp = 1\n[[aipp_op]]\ninput_format = 'RGB888_U8'\n")
    with pytest.raises(AippError, match="file.*cannot read"):
        load_aipp(tmp_path / "missing.cfg")


def test_required_fields():
    with pytest.raises(AippError, match="required_fields.*input_format is required"):
        from_dict({"src_image_size_w": 8, "src_image_size_h": 8})
    with pytest.raises(AippError, match="required_fields.*resize_output_h is missing"):
        from_dict(_base(resize=True, resize_output_w=8))


def test_config_is_frozen():
    cfg = parse_atc(ATC)
    with pytest.raises(AttributeError):
        cfg.src_w = 3  # type: ignore[misc]
    assert isinstance(cfg.replace(src_w=1280), AippConfig)


@FEW
@given(configs())
def test_random_configs_round_trip_through_atc_toml_and_dict(d):
    try:
        cfg = from_dict(d)
    except AippError:
        assume(False)
    assert parse_atc(to_atc(cfg)) == parse_toml(to_toml(cfg)) == from_dict(to_dict(cfg)) == cfg


def test_integers_in_decimal_and_hex():
    assert from_dict(_base(mean_chn_0="010")).normalize.mean[0] == 10
    assert from_dict(_base(mean_chn_0="0x10")).normalize.mean[0] == 16
    dyn = parse_atc("aipp_op { aipp_mode : dynamic\n max_src_image_size : 10\n"
                    " input_format : RGB888_U8 }")
    assert parse_atc(to_atc(dyn)) == dyn
