"""Built-in profiles load, agree with their sourced peaks, and bad files fail clearly."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from npukit.errors import NpukitError
from npukit.targets import TargetError, TargetProfile, list_targets, load_target
from npukit.targets.registry import PROFILE_DIR

BUILTINS = ["ascend310", "generic-int8", "hi3519dv500", "nvdla-full", "nvdla-small", "r329",
            "rk3566", "rk3588", "v853"]


def test_list_targets_names_every_builtin():
    assert list_targets() == BUILTINS


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_loads_and_is_named_after_its_file(name):
    t = load_target(name)
    assert isinstance(t, TargetProfile)
    assert t.name == name
    assert t.peak_tops_int8 > 0


@pytest.mark.parametrize("name", BUILTINS)
def test_every_number_carries_provenance(name):
    t = load_target(name)
    for sec in ("npu", "memory", "numerics", "layout", "cpu", "ops"):
        spec = getattr(t, sec)
        for f in dataclasses.fields(spec):
            value = getattr(spec, f.name)
            if f.name == "provenance" or isinstance(value, str) or value == ():
                continue  # free text, or an empty list (= no entries to source)
            is_table = hasattr(value, "items")
            keys = [f"{f.name}.{k}" for k in value] if is_table else [f.name]
            for key in keys:
                assert t.provenance(sec, key), f"{name}: {sec}.{key} has no provenance label"


# (target, stated peak INT8 TOPS) where targets.md labels the peak [src]
SOURCED_PEAKS = [("rk3588", 6.0), ("rk3566", 1.0), ("hi3519dv500", 2.5), ("ascend310", 16.0),
                 ("v853", 1.0)]


@pytest.mark.parametrize("name,stated", SOURCED_PEAKS)
def test_peak_tops_matches_sourced_peak(name, stated):
    t = load_target(name)
    assert t.npu.stated_tops_int8 == stated
    assert t.provenance("npu", "stated_tops_int8").startswith("src")
    assert t.peak_tops_int8 == pytest.approx(stated, rel=0.05)


def test_rk3588_peak_is_cores_times_macs_times_two_times_clock():
    t = load_target("rk3588")
    assert t.peak_tops_int8 == pytest.approx(3 * 1024 * 2 * 1.0e9 / 1e12)
    assert t.ops.transpose_max_hw == 8192
    assert "GatherND" in t.ops.unsupported


def test_v853_is_integer_only():
    t = load_target("v853")
    assert t.numerics.float_on_npu is False
    assert not any(d.startswith("fp") for d in t.numerics.activation_dtypes)


def test_profile_is_frozen():
    t = load_target("rk3588")
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.npu.cores = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        t.npu.macs_per_cycle["int8"] = 1  # type: ignore[index]


def test_names_are_case_insensitive_and_profiles_hash():
    assert load_target("RK3588") is load_target("rk3588")
    assert len({load_target("rk3588"), load_target("v853"), load_target("rk3588")}) == 2


def test_unknown_name_lists_valid_names():
    with pytest.raises(NpukitError) as e:
        load_target("rk3599")
    msg = str(e.value)
    assert isinstance(e.value, TargetError)
    assert "rk3599" in msg and "rk3588" in msg and "v853" in msg


# ---- a user's own file ------------------------------------------------------

def _rk3588_text() -> str:
    return (PROFILE_DIR / "rk3588.toml").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "mychip.toml"
    p.write_text(text.replace('name = "rk3588"', 'name = "mychip"'), encoding="utf-8")
    return p


def test_user_file_loads_by_path(tmp_path):
    t = load_target(_write(tmp_path, _rk3588_text()))
    assert t.name == "mychip" and t.source_path.endswith("mychip.toml")


def test_missing_field_is_named(tmp_path):
    p = _write(tmp_path, _rk3588_text().replace("clock_mhz = 1000.0\n", ""))
    with pytest.raises(TargetError, match=r"'npu\.clock_mhz' is missing") as e:
        load_target(p)
    assert "mychip.toml" in str(e.value)


def test_mistyped_field_names_field_type_and_file(tmp_path):
    p = _write(tmp_path, _rk3588_text().replace("cores = 3", 'cores = "three"'))
    with pytest.raises(TargetError) as e:
        load_target(p)
    msg = str(e.value)
    assert "'npu.cores'" in msg and "integer" in msg and "'three'" in msg and "mychip.toml" in msg


def test_bool_is_not_an_integer(tmp_path):
    p = _write(tmp_path, _rk3588_text().replace("cores = 3", "cores = true"))
    with pytest.raises(TargetError, match=r"'npu\.cores' must be an integer"):
        load_target(p)


def test_unknown_field_suggests_nearest(tmp_path):
    p = _write(tmp_path, _rk3588_text().replace("clock_mhz = 1000.0", "clock_mz = 1000.0"))
    with pytest.raises(TargetError, match=r"'npu\.clock_mz' is not a known field") as e:
        load_target(p)
    assert "did you mean 'npu.clock_mhz'" in str(e.value)


def test_out_of_range_value(tmp_path):
    p = _write(tmp_path, _rk3588_text().replace("cores = 3", "cores = 0"))
    with pytest.raises(TargetError, match=r"'npu\.cores' is 0; it must be ≥ 1"):
        load_target(p)


def test_bad_choice_suggests(tmp_path):
    p = _write(tmp_path, _rk3588_text().replace('"half_away_from_zero"', '"half_even"'))
    with pytest.raises(TargetError, match=r"'numerics\.rounding'.*half_to_even"):
        load_target(p)


def test_unknown_dtype(tmp_path):
    p = _write(tmp_path, _rk3588_text().replace('{ int8 = 1024,', '{ int9 = 1024,'))
    with pytest.raises(TargetError, match=r"(?s)'npu\.macs_per_cycle\.int9'.*int8"):
        load_target(p)


def test_bad_provenance_label(tmp_path):
    p = _write(tmp_path, _rk3588_text().replace('cores = "src: 3-core', 'cores = "trust me: 3'))
    with pytest.raises(TargetError, match=r"'npu\.provenance\.cores'"):
        load_target(p)


def test_stated_peak_must_agree(tmp_path):
    p = _write(tmp_path, _rk3588_text().replace("stated_tops_int8 = 6.0", "stated_tops_int8 = 9.0"))
    with pytest.raises(TargetError, match=r"stated_tops_int8"):
        load_target(p)


def test_float_flag_must_agree_with_dtypes(tmp_path):
    p = _write(tmp_path, _rk3588_text().replace("float_on_npu = true", "float_on_npu = false"))
    with pytest.raises(TargetError, match=r"float_on_npu"):
        load_target(p)


def test_not_toml(tmp_path):
    p = tmp_path / "broken.toml"
    p.write_text("name = \n", encoding="utf-8")
    with pytest.raises(TargetError, match="not valid TOML"):
        load_target(p)


def test_missing_file(tmp_path):
    with pytest.raises(TargetError, match="does not exist"):
        load_target(tmp_path / "nope.toml")


def test_rounding_names_are_the_numerics_layer_names():
    from npukit.numerics.rounding import RoundingMode
    from npukit.targets.schema import ROUNDING_MODES
    assert set(ROUNDING_MODES) == {m.value for m in RoundingMode}
