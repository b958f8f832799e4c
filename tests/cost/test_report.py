"""PerfReport output forms: text, JSON, CSV."""

from __future__ import annotations

import csv
import io
import json

import pytest
from costkit import tiny_graph

from npukit.cost import estimate


@pytest.fixture
def report(toy):
    return estimate(tiny_graph(with_topk=True), toy)


def test_text_states_conditions_and_totals(report):
    text = report.format()
    assert "assumes NPU 1000 MHz, 1 core(s) per inference" in text
    assert "DRAM 1 GB/s" in text and "timed" in text and "conv" in text
    assert "inference" in text and "memory  weights" in text


def test_json_and_csv(report):
    data = json.loads(json.dumps(report.to_json()))
    assert set(data) >= {"totals", "memory", "conditions", "layers", "boundaries"}
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert len(rows) == len(report.rows) and rows[1]["node"] == "conv"
