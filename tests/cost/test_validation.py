"""The committed profiles against every published measurement of targets.md.

The profiles' fitted fields were fitted on these same cases by
tools/fit_cost_model.py, so this checks that the fit was written back and
that one parameter set per target reproduces all of its figures; the
held-out (leave-one-out) check is in benchmarks/bench_cost_validation.py.
"""

from __future__ import annotations

import statistics

import fit_cost_model as F
import pytest

from npukit.cost import estimate
from npukit.cost.explain import by_kind, memory_bound, utilisation_gap

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def errors() -> dict[str, float]:
    return {c.id: F.predict(c)["ms"] / c.measured_ms for c in F.CASES}


def test_every_target_with_a_figure_is_covered():
    assert {c.target for c in F.CASES} >= {"rk3588", "rk3566", "ascend310", "nvdla-full",
                                           "nvdla-small"}
    assert len(F.CASES) == 9


def test_median_error_within_20_percent_and_none_off_by_2x(errors):
    assert statistics.median(abs(r - 1) for r in errors.values()) <= 0.20
    for case, ratio in errors.items():
        assert 0.5 < ratio < 2.0, case


@pytest.fixture(scope="module")
def rk3588_reports():
    return (estimate(F.graph("resnet50"), "rk3588", name="ResNet-50"),
            estimate(F.graph("mobilenet_v2"), "rk3588", name="MobileNetV2"))


def test_utilisation_matches_the_implied_figures(rk3588_reports):
    r50, mb2 = rk3588_reports
    assert r50.totals["utilisation"] == pytest.approx(0.44, abs=0.05)
    assert mb2.totals["utilisation"] == pytest.approx(0.13, abs=0.04)


def test_explanations_come_from_the_layers(rk3588_reports):
    r50, mb2 = rk3588_reports
    text = memory_bound(r50)
    assert "Gemm" in text and "B/MAC" in text          # the batch-1 FC reads 2 MB of weights
    gap = utilisation_gap(mb2, r50)
    kinds = by_kind(mb2)
    assert kinds["depthwise"]["share"] > 0.3 and kinds["depthwise"]["utilisation"] < 0.05
    assert "depthwise" in gap and f"{100 * kinds['depthwise']['share']:.0f} %" in gap
