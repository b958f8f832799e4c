"""``npukit targets``: the table, --json, one profile in full, and errors."""

from __future__ import annotations

import argparse
import json

import pytest

from npukit.cli import cmd_targets, main
from npukit.errors import NpukitError
from npukit.targets import list_targets


@pytest.fixture
def cli(monkeypatch):
    """``npukit.cli.main.main`` with this verb registered (main.py is not ours to edit)."""
    original = main._verbs
    monkeypatch.setattr(main, "_verbs", lambda: [*original(), cmd_targets]
                        if cmd_targets not in original() else original())
    return main.main


def test_json_lists_every_builtin_with_computed_peak(cli, capsys):
    assert cli(["targets", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list_targets()
    rk = next(r for r in rows if r["name"] == "rk3588")
    assert rk["cores"] == 3 and rk["int8_macs_per_cycle"] == 1024
    assert rk["peak_tops_int8"] == pytest.approx(6.144)
    assert "fp16" in rk["activation_dtypes"]


def test_table_has_a_row_per_target(cli, capsys):
    assert cli(["targets"]) == 0
    out = capsys.readouterr().out
    assert "peak TOPS" in out and "DRAM GB/s" in out
    for name in list_targets():
        assert f"\n{name} " in out


def test_one_profile_in_full_with_provenance(capsys):
    cmd_targets.run(argparse.Namespace(target="rk3588", json=False))
    out = capsys.readouterr().out
    assert "transpose_max_hw" in out and "8192" in out and "src:" in out and "fitted:" in out
    assert "[numerics]" in out and "half_away_from_zero" in out


def test_one_profile_as_json(capsys):
    cmd_targets.run(argparse.Namespace(target="v853", json=True))
    data = json.loads(capsys.readouterr().out)
    assert data["numerics"]["float_on_npu"] is False
    assert data["ops"]["kernel_max"] == 15
    assert data["npu"]["provenance"]["conv_buffer_kb"].startswith("src")
    assert data["peak_tops"]["int8"] == pytest.approx(1.024)


def test_unknown_target_is_a_clear_error(cli, capsys):
    with pytest.raises(NpukitError, match="rk3588"):
        cmd_targets.run(argparse.Namespace(target="rk9999", json=False))
    assert cli(["targets", "rk9999"]) == 1
    err = capsys.readouterr().err
    assert "unknown target 'rk9999'" in err and "v853" in err
