"""QDQ export runs in ONNX Runtime close to the simulator; QDQ and table import round-trip."""

import numpy as np
import onnxruntime as ort
import pytest

from npukit import demo
from npukit.errors import NpukitError
from npukit.frontends.onnx import export_model, import_model
from npukit.metrics import cosine_similarity
from npukit.quant.qdq import from_qdq, to_qdq
from npukit.quant.quantizer import quantize, quantized_from_table
from npukit.quant.table import apply_table, load_table, save_table, table_of


@pytest.fixture(scope="module")
def digits():
    g = import_model(demo.MODEL, input_shapes={"image": [10, 1, 28, 28]})
    meta = demo.meta()
    x = demo.calibration().tensors(meta["mean"], meta["std"])
    qm = quantize(g, [{"image": x[k:k + 10]} for k in range(0, 100, 10)], show_progress=False)
    ev = demo.heldout().tensors(meta["mean"], meta["std"])[:10]
    return qm, {"image": ev}


def _ort(model, feeds, optimized=False):
    """ORT without graph optimisation runs Q/DQ as written (its "fake-quant" path); with
    them it fuses into its own x86 int8 kernels, whose int8×int8 products can saturate."""
    so = ort.SessionOptions()
    if not optimized:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)[0]


def test_qdq_export_runs_in_ort_close_to_simulator(digits):
    qm, feeds = digits
    qdq = to_qdq(qm.graph)
    assert sum(n.op_type == "QuantizeLinear" for n in qdq.nodes) >= 5
    got = _ort(export_model(qdq), feeds)
    sim = qm.run(feeds)["logits"]
    step = float(qm.graph.values["logits"].quant.scale[0])
    assert cosine_similarity(sim, got) > 0.999
    assert np.max(np.abs(sim - got)) <= 3 * step       # rounding conventions differ by LSBs
    assert (sim.argmax(1) == got.argmax(1)).mean() >= 0.9
    fused = _ort(export_model(qdq), feeds, optimized=True)   # ORT's own int8 kernels run it
    assert fused.shape == got.shape


def test_qdq_import_round_trips_params_and_outputs(digits, tmp_path):
    qm, feeds = digits
    model = export_model(to_qdq(qm.graph))
    path = tmp_path / "q.onnx"
    path.write_bytes(model.SerializeToString())
    float_g, table = from_qdq(import_model(path))
    original = table_of(qm.graph)
    for name, q in original.items():
        assert name in table and table[name].same_as(q), name
    qm2 = quantized_from_table(float_g, table, qm.config)
    np.testing.assert_array_equal(qm2.run(feeds)["logits"], qm.run(feeds)["logits"])


def test_table_json_round_trip_and_errors(digits, tmp_path):
    qm, _ = digits
    t = table_of(qm.graph)
    p = save_table(t, tmp_path / "t.json")
    back = load_table(p)
    assert set(back) == set(t) and all(back[k].same_as(t[k]) for k in t)
    g = qm.float_graph.copy()
    with pytest.raises(NpukitError, match="does not have"):
        apply_table(g, {"ghost": t[next(iter(t))]})
    (tmp_path / "bad.json").write_text('{"format": "other"}')
    with pytest.raises(NpukitError, match="not an npukit quantization table"):
        load_table(tmp_path / "bad.json")


def test_inconsistent_qdq_scales_are_refused(digits):
    qm, _ = digits
    qdq = to_qdq(qm.graph)
    dq = next(n for n in qdq.nodes if n.op_type == "DequantizeLinear" and
              qdq.const(n.inputs[0]) is None)
    other = qdq.unique_name("other_scale")
    qdq.add_const(other, np.float32(0.5))
    dq.inputs[1] = other
    with pytest.raises(NpukitError, match="inconsistent scales"):
        from_qdq(qdq)


def test_imports_onnxruntime_quantize_static_model(tmp_path):
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, quantize_static
    meta = demo.meta()
    x = demo.calibration().tensors(meta["mean"], meta["std"])[:20]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{"image": x[k:k + 1]} for k in range(len(x))])

        def get_next(self):
            return next(self.it, None)

    out = tmp_path / "ort_qdq.onnx"
    quantize_static(str(demo.MODEL), str(out), Reader(), quant_format=QuantFormat.QDQ,
                    per_channel=True)
    g, table = from_qdq(import_model(out, input_shapes={"image": [1, 1, 28, 28]}))
    assert not any(n.op_type in ("QuantizeLinear", "DequantizeLinear") for n in g.nodes)
    assert any(q.axis is not None for q in table.values())      # per-channel weights
    assert "image" in table and table["image"].dtype in ("uint8", "int8")
