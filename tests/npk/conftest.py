"""Fixtures for the .npk tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from npukit.npk import write_npk

from .helpers import MANIFEST, sample_tensors


@pytest.fixture
def npk_path(tmp_path: Path) -> Path:
    return write_npk(tmp_path / "m.npk", MANIFEST, sample_tensors(), reproducible=True)


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NPUKIT_KEY", raising=False)
