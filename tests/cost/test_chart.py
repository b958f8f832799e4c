"""The time-per-layer chart: inline-SVG HTML, SVG, PNG."""

from __future__ import annotations

import pytest
from costkit import tiny_graph

from npukit.cost import CostError, estimate
from npukit.cost.chart import html, write_chart


@pytest.fixture
def report(toy):
    return estimate(tiny_graph(with_topk=True), toy)


def test_chart_html_and_formats(report, tmp_path):
    page = html([report])
    assert page.count("<rect") >= 3 and "<svg" in page and "memory-bound" in page
    assert write_chart([report], tmp_path / "c.html").exists()
    with pytest.raises(CostError, match="unknown format"):
        write_chart([report], tmp_path / "c.txt")


def test_chart_png(report, tmp_path):
    pytest.importorskip("matplotlib")
    path = write_chart([report, report], tmp_path / "c.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
