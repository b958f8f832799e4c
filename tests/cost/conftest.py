"""Fixtures of the cost tests (helpers live in costkit.py)."""

from __future__ import annotations

import pytest
from costkit import toy_profile

from npukit.targets import TargetProfile


@pytest.fixture
def toy() -> TargetProfile:
    return toy_profile()
