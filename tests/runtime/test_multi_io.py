"""Two inputs, two outputs: feeds by name or in input order; outputs by name, in order."""

from __future__ import annotations

import numpy as np
import pytest

from npukit.compiler import compile_model
from npukit.errors import InputError
from npukit.ir import Graph, Node
from npukit.ops import infer_graph
from npukit.quant.quantizer import quantize
from npukit.runtime import Runtime
from npukit.sim.program_executor import ProgramExecutor


@pytest.fixture(scope="module")
def two_io(tmp_path_factory):
    g = Graph("two_io", 17)
    g.add_input("a", "float32", (2, 4))
    g.add_input("b", "float32", (2, 4))
    g.add_node(Node("add", "Add", ["a", "b"], ["s"]))
    g.add_node(Node("mul", "Mul", ["s", "a"], ["p"]))
    g.outputs = ["s", "p"]
    infer_graph(g)
    rng = np.random.default_rng(3)
    feeds = [{"a": rng.standard_normal((2, 4)).astype(np.float32),
              "b": rng.standard_normal((2, 4)).astype(np.float32)} for _ in range(6)]
    qm = quantize(g, feeds, show_progress=False)
    res = compile_model(qm, "generic-int8", tmp_path_factory.mktemp("io") / "io.npk")
    return res, feeds


def test_feeds_by_name_and_order(two_io):
    res, feeds = two_io
    want = ProgramExecutor(res.program).run(feeds[0])
    with Runtime(res.path) as rt:
        assert [t.name for t in rt.inputs] == ["a", "b"]
        assert [t.name for t in rt.outputs] == ["s", "p"]
        by_name = rt.run(feeds[0])
        in_order = rt.run([feeds[0]["a"], feeds[0]["b"]])
        assert list(by_name) == ["s", "p"]
        for k in ("s", "p"):
            assert np.array_equal(by_name[k], want[k]) and np.array_equal(in_order[k], want[k])
        with pytest.raises(InputError, match=r"missing input\(s\) \['b'\]"):
            rt.run({"a": feeds[0]["a"]})
