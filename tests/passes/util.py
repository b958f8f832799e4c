"""Shared helpers for pass tests: golden text comparison and a numeric check in ONNX Runtime."""

from __future__ import annotations

from typing import Mapping

import numpy as np
from ortcheck import ort_run

from npukit.frontends.onnx import export_model
from npukit.ir import Graph, parse_graph, print_graph
from npukit.ir.dtypes import to_numpy
from npukit.passes import OptimizeReport, Pass, PassManager


def run_pass(p: Pass, before: str | Graph) -> tuple[Graph, Graph, OptimizeReport]:
    """Parse ``before`` and run ``p`` alone through the manager (infer + verify after it)."""
    g0 = parse_graph(before) if isinstance(before, str) else before
    g1 = g0.copy()
    report = PassManager([p], name=p.name).run(g1)
    return g0, g1, report


def assert_golden(p: Pass, before: str, expected: str, *, numeric: bool = True,
                  seed: int = 0) -> tuple[Graph, Graph, OptimizeReport]:
    """``p`` turns ``before`` into exactly ``expected`` (text form) and computes the same."""
    g0, g1, report = run_pass(p, before)
    got = print_graph(g1)
    assert _lines(got) == _lines(expected), "\n--- got ---\n" + got
    if numeric:
        assert_same_numerics(g0, g1, seed=seed)
    return g0, g1, report


def _lines(text: str) -> list[str]:
    """The text form's statements, indentation aside (tests indent their literals)."""
    return [line.strip() for line in text.strip().splitlines()]


def assert_unchanged(p: Pass, before: str) -> None:
    """``p`` must not fire on ``before``."""
    g0, g1, report = run_pass(p, before)
    assert report.changes == [], report.format(details=True)
    assert print_graph(g1) == print_graph(g0)


def random_feeds(g: Graph, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    feeds = {}
    for name in g.inputs:
        v = g.values[name]
        assert v.dtype is not None and v.shape is not None, f"input {name} needs a static type"
        dt = to_numpy(v.dtype)
        if dt.kind == "f":
            feeds[name] = (rng.standard_normal(v.shape) * 2).astype(dt)
        elif dt.kind == "b":
            feeds[name] = rng.random(v.shape) > 0.5
        else:
            feeds[name] = rng.integers(0, 5, v.shape).astype(dt)
    return feeds


def ort_outputs(g: Graph, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    return ort_run(export_model(g), feeds)


def assert_same_numerics(before: Graph, after: Graph, *, seed: int = 0, rtol: float = 1e-4,
                         atol: float = 1e-5) -> None:
    """Both graphs, exported to ONNX and run in ONNX Runtime, agree on seeded inputs."""
    assert before.outputs == after.outputs and before.inputs == after.inputs
    feeds = random_feeds(before, seed)
    for name, a, b in zip(before.outputs, ort_outputs(before, feeds),
                          ort_outputs(after, feeds)):
        assert a.shape == b.shape and a.dtype == b.dtype, name
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, err_msg=name)
