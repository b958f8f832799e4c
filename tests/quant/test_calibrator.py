"""Calibrator: ranges over a tiny parsed model, streaming, bounded memory, errors."""

import tracemalloc

import numpy as np
import pytest

from npukit.errors import GraphError, InputError, NpukitError
from npukit.ir import parse_graph
from npukit.quant import (
    CalibrationSource,
    Calibrator,
    EntropyObserver,
    MinMaxObserver,
    PerChannelMinMaxObserver,
    calibrate,
)
from npukit.sim import FloatExecutor

TINY = """graph "tiny" opset 21 {
  input x: f32[1,3,8,8]
  const w: f32[4,3,3,3] = randn
  const b: f32[4] = randn
  const m: f32[8,5] = randn
  node conv = Conv(x, w, b) -> (c: f32[1,4,8,8]) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
  node relu = Relu(c) -> (r: f32[1,4,8,8])
  node mm = MatMul(r, m) -> (y: f32[1,4,8,5])
  output y
}"""


@pytest.fixture
def graph():
    return parse_graph(TINY)


@pytest.fixture
def data(rng):
    return rng.standard_normal((12, 3, 8, 8)).astype(np.float32)


def reference_ranges(graph, data, names):
    ex = FloatExecutor(graph)
    seen = {n: [] for n in names}
    for x in data:
        out = ex.run({"x": x[None]}, keep=names)
        out["x"] = x
        for n in names:
            seen[n].append(out[n])
    return {n: (float(np.min(seen[n])), float(np.max(seen[n]))) for n in names}


@pytest.mark.parametrize("engine", ["npukit", "onnxruntime", "auto"])
def test_minmax_ranges_match_the_float_model(graph, data, engine):
    """npukit's executor gives the reference ranges exactly; ONNX Runtime (the default
    engine) to float32 rounding of its own kernels."""
    cal = Calibrator(graph, engine=engine)
    assert cal.engine_note == ("npukit float executor" if engine == "npukit" else "onnxruntime")
    res = cal.run(data)
    assert list(res.ranges) == ["x", "c", "r", "y"]          # every float activation
    assert res.batches == 12
    ref = reference_ranges(graph, data, ["x", "c", "r", "y"])
    if engine == "npukit":
        assert res.ranges == ref
    else:
        assert res.ranges.keys() == ref.keys()
        np.testing.assert_allclose(np.array(list(res.ranges.values())),
                                   np.array(list(ref.values())), rtol=1e-5, atol=1e-6)
    assert res.ranges["r"][0] == 0.0                           # after ReLU
    assert all(isinstance(o, MinMaxObserver) for o in res.observers.values())


def test_selected_values_and_observer_options(graph, data):
    res = calibrate(graph, data, values=["c", "y"], observer="kl", levels=256)
    assert set(res.ranges) == {"c", "y"}
    assert isinstance(res.observers["c"], EntropyObserver)
    ref = reference_ranges(graph, data, ["c", "y"])
    for n in ("c", "y"):
        lo, hi = res.ranges[n]
        assert ref[n][0] <= lo < hi <= ref[n][1]


def test_factory_per_value_and_constant_weights(graph, data):
    def factory(name):
        return PerChannelMinMaxObserver(axis=0) if name == "w" else MinMaxObserver()
    res = Calibrator(graph, ["w", "r"], factory).run(data)
    w = graph.const("w")
    np.testing.assert_array_equal(res.ranges["w"][1], w.reshape(4, -1).max(1))
    assert res.observers["w"].batches == 1                    # a constant is seen once


def test_streaming_in_parts_equals_one_run(graph, data):
    whole = Calibrator(graph).run(data).ranges
    cal = Calibrator(graph)
    cal.collect(data[:5])
    cal.collect(iter([{"x": x[None]} for x in data[5:]]))    # any iterable of feeds
    assert cal.result().ranges == whole and cal.batches == 12


def test_memory_stays_bounded(graph, rng):
    cal = Calibrator(graph, observer="kl")

    def feeds(n):
        for _ in range(n):
            yield {"x": rng.standard_normal((1, 3, 8, 8)).astype(np.float32)}

    cal.collect(feeds(5))
    tracemalloc.start()
    cal.collect(feeds(300))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 512 * 1024                                  # not 300 × activations
    assert all(o.counts.shape == (2048,) for o in cal.observers.values())


def test_calibration_source_with_progress(graph, data, tmp_path):
    for k in range(3):
        np.save(tmp_path / f"s{k}.npy", data[k])
    res = Calibrator(graph, ["x"]).run(CalibrationSource(tmp_path, graph), show_progress=True)
    assert res.batches == 3
    assert res.ranges["x"] == (float(data[:3].min()), float(data[:3].max()))


def test_errors(graph, data):
    with pytest.raises(GraphError, match="no value"):
        Calibrator(graph, ["nope"])
    with pytest.raises(NpukitError, match="unknown observer"):
        Calibrator(graph, observer="entropy2")
    with pytest.raises(InputError, match="gave no samples"):
        Calibrator(graph).result()
    bad = data[:2].copy()
    bad[1, 0, 0, 0] = np.inf
    with pytest.raises(NpukitError, match="value 'x', made by the model input, after 1 batch"):
        Calibrator(graph).run(bad)
    with pytest.raises(InputError, match="expects"):
        Calibrator(graph).run(np.zeros((2, 3, 4, 4), np.float32))


def test_image_folder_end_to_end(graph, tmp_path):
    from PIL import Image

    from npukit.quant import CalibConfig
    for k, rgb in enumerate([(0, 0, 0), (255, 255, 255), (255, 0, 128)]):
        Image.new("RGB", (12, 10), rgb).save(tmp_path / f"{k}.png")
    res = Calibrator(graph, ["x", "y"], "percentile", percentile=100.0).run(
        tmp_path, config=CalibConfig(mean=127.5, std=127.5, limit=2))
    assert res.batches == 2 and res.ranges["x"] == (-1.0, 1.0)


def test_unknown_engine_is_refused(graph):
    with pytest.raises(NpukitError, match="calibration engine 'gpu'"):
        Calibrator(graph, engine="gpu")
