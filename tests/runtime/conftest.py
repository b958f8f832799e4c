from __future__ import annotations

import pytest
from compiler.models import demo_model, small_model

from npukit.compiler import compile_model

SHAPES = [{"image": [1, 1, 28, 28]}, {"image": [2, 1, 28, 28]}]


@pytest.fixture(scope="session")
def demo_npk(tmp_path_factory):
    """The demo model for rk3588 at batch 1 and 2, with its in-memory result."""
    out = tmp_path_factory.mktemp("rt") / "demo.npk"
    return compile_model(demo_model(), "rk3588", out, shapes=SHAPES)


@pytest.fixture(scope="session")
def small_npk(tmp_path_factory):
    out = tmp_path_factory.mktemp("rt") / "small.npk"
    return compile_model(small_model(), "rk3588", out)
