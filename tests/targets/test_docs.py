"""docs/targets.md documents every profile field and its worked example loads."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from npukit.targets import CONSTRAINTS, TargetProfile, load_target

DOC = (Path(__file__).resolve().parents[2] / "docs" / "targets.md").read_text(encoding="utf-8")


def _fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if not f.metadata.get("internal")]


@pytest.mark.parametrize("section", ["", "npu", "memory", "numerics", "layout", "cpu", "ops"])
def test_every_field_is_documented(section):
    heading = "### Top level" if not section else f"### `[{section}]`"
    body = DOC.split(heading, 1)[1].split("\n### ", 1)[0]
    cls = TargetProfile if not section else type(getattr(load_target("rk3588"), section))
    for name in _fields(cls):
        if dataclasses.is_dataclass(getattr(load_target("rk3588"), name, None)):
            continue  # a section: it has its own heading
        assert f"| `{name}` |" in body, f"docs/targets.md does not document {section}.{name}"


def test_every_constraint_is_documented():
    for c in CONSTRAINTS:
        assert f"| `{c.name}` |" in DOC


def test_worked_example_loads(tmp_path):
    block = re.search(r"```toml\n(# mychip\.toml.*?)```", DOC, re.S)
    assert block, "the worked example is missing from docs/targets.md"
    path = tmp_path / "mychip.toml"
    path.write_text(block.group(1), encoding="utf-8")
    t = load_target(path)
    assert t.name == "mychip"
    assert t.peak_tops_int8 == pytest.approx(2.048)
