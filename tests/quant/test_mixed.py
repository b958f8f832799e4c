"""Mixed precision: override files take effect per kind; auto mode meets a budget."""

import numpy as np
import pytest

from npukit.errors import NpukitError
from npukit.ir import parse_graph
from npukit.metrics import cosine_similarity
from npukit.quant.config import QuantConfig
from npukit.quant.mixed import (
    Budget,
    auto_mixed,
    cost,
    effective_precisions,
    load_overrides,
    with_overrides,
)
from npukit.quant.quantizer import quantize
from npukit.sim import FloatExecutor

TOY = """graph "toy" opset 21 {
  input x: f32[1,4,6,6]
  const w1: f32[8,4,3,3] = randn
  const b1: f32[8] = randn
  const w2: f32[8,8,1,1] = randn
  const w3: f32[10,8] = randn
  node c1 = Conv(x, w1, b1) -> (a: f32[1,8,6,6]) {kernel_shape=[3, 3], P, activation="Relu"}
  node c2 = Conv(a, w2) -> (b: f32[1,8,6,6]) {kernel_shape=[1, 1]}
  node add = Add(a, b) -> (s: f32[1,8,6,6])
  node gap = GlobalAveragePool(s) -> (p: f32[1,8,1,1])
  node fl = Flatten(p) -> (f: f32[1,8]) {axis=1}
  node fc = Gemm(f, w3) -> (y: f32[1,10]) {transB=1}
  output y
}"""


@pytest.fixture(scope="module")
def toy():
    g = parse_graph(TOY.replace("P,", "pads=[1, 1, 1, 1],"))
    rng = np.random.default_rng(0)
    data = [{"x": rng.standard_normal((1, 4, 6, 6)).astype(np.float32)} for _ in range(8)]
    return g, data


def write(tmp_path, text):
    p = tmp_path / "precision.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize("kind, code_dtype", [("int8", "int8"), ("uint8", "uint8"),
                                              ("int16", "int16")])
def test_override_file_sets_the_output_dtype(toy, tmp_path, kind, code_dtype):
    g, data = toy
    cfg = with_overrides(QuantConfig(), write(tmp_path, f'[overrides]\nc2 = "{kind}"\n'))
    qm = quantize(g, data, cfg, show_progress=False)
    assert effective_precisions(qm)["c2"] == kind
    assert qm.program.values["b@q"].dtype == code_dtype
    assert [d.reason for d in qm.decisions if d.node == "c2"] == ["override for node 'c2'"]
    assert qm.program.values["a@q"].dtype == "int8"           # neighbours keep the default


def test_override_file_float_runs_on_the_cpu(toy, tmp_path):
    g, data = toy
    cfg = with_overrides(QuantConfig(), write(tmp_path, 'Add = "float"\n'))
    qm = quantize(g, data, cfg, show_progress=False)
    rec = next(r for r in qm.program.records if "add" in r.sources)
    assert rec.engine == "cpu" and "override for op type Add" in rec.reason
    assert effective_precisions(qm)["add"] == "float"
    assert qm.program.values["s"].dtype == "float32" and "s@q" not in qm.program.values


def test_override_file_fp16_runs_on_the_npu_float_unit(toy, tmp_path):
    """fp16: a float record on the NPU, float16 weights, results rounded to float16
    (fp32 accumulation inside, as NPU fp16 units do); a placement on a target without
    fp16 refuses it with the reason, one with fp16 puts it on the NPU, costed at the
    NPU's fp16 rate, and the .npk runs it the same."""
    from npukit.compiler import compile_model
    from npukit.cost import estimate
    from npukit.runtime import Runtime
    from npukit.sim.program_executor import ProgramExecutor
    g, data = toy
    cfg = with_overrides(QuantConfig(), write(tmp_path, 'c2 = "fp16"\n'))
    qm = quantize(g, data, cfg, show_progress=False)
    rec = next(r for r in qm.program.records if "c2" in r.sources)
    assert rec.kernel == "float" and rec.engine == "npu" and rec.attrs["compute"] == "float16"
    assert "override for node 'c2'" in rec.reason and "fp16" in rec.reason
    assert rec.tensors["in1"].dtype == np.float16                        # weights
    assert effective_precisions(qm)["c2"] == "fp16"
    assert "b@q" not in qm.program.values and qm.program.values["b"].dtype == "float32"
    # the value really is float16: it differs from the float64 conv of the same input
    # by float16 rounding only
    got = ProgramExecutor(qm.program).run(data[1], keep=["a", "b"])
    exact = np.einsum("mc,nchw->nmhw", g.const("w2")[:, :, 0, 0].astype(np.float64),
                      got["a"].astype(np.float64))
    assert np.array_equal(got["b"], got["b"].astype(np.float16).astype(np.float32))
    assert 0 < np.abs(got["b"] - exact).max() <= 2e-3 * np.abs(exact).max()
    with pytest.raises(NpukitError, match=r"c2.*fp16.*v853's NPU has no float16"):
        compile_model(qm, "v853", tmp_path / "v.npk")
    res = compile_model(qm, "rk3588", tmp_path / "r.npk")
    assert res.placement.engine_of("c2") == "npu"
    rows = {r.name: r for r in estimate(res.program, "rk3588").rows}
    assert rows[rec.name].engine == "npu" and rows[rec.name].macs == 8 * 8 * 36
    assert rows[rec.name].compute_cycles > 0
    with Runtime(res.path) as rt:
        assert np.array_equal(rt.run(data[0])["y"],
                              ProgramExecutor(res.program).run(data[0])["y"])


def test_override_file_int4_weights(toy, tmp_path):
    g, data = toy
    plain = quantize(g, data, show_progress=False)
    cfg = with_overrides(QuantConfig(), write(tmp_path, '"c2" = "int4"\n'))
    qm = quantize(g, data, cfg, show_progress=False)
    w = next(r for r in qm.program.records if "c2" in r.sources).tensors["weights"]
    assert w.min() >= -7 and w.max() <= 7
    assert qm.graph.values["w2"].quant.dtype == "int4"
    assert effective_precisions(qm)["c2"] == "int8+int4w"
    assert cost(qm).weight_bytes == cost(plain).weight_bytes - 32     # 64 weights, packed


def test_override_file_errors(tmp_path, toy):
    with pytest.raises(NpukitError, match="asks for 'int3'"):
        load_overrides(write(tmp_path, 'c1 = "int3"\n'))
    with pytest.raises(NpukitError, match="not valid TOML"):
        load_overrides(write(tmp_path, 'c1 = \n'))
    g, data = toy
    cfg = with_overrides(QuantConfig(), {"c22": "int16"})
    with pytest.raises(NpukitError, match="did you mean 'c2'"):
        quantize(g, data, cfg, show_progress=False)


def mean_cosine(qm, data):
    fx = FloatExecutor(qm.float_graph)
    return float(np.mean([cosine_similarity(fx.run(f)["y"], qm.run(f)["y"]) for f in data]))


def test_auto_meets_a_budget_with_few_layers(toy):
    g, data = toy
    qm = quantize(g, data, QuantConfig(weights="int4"), show_progress=False)
    start = mean_cosine(qm, data)
    target = start + (1.0 - start) / 2
    best, report = auto_mixed(qm, data, Budget(cosine=target))
    assert report.start["cosine"] == pytest.approx(start)
    assert report.reached["cosine"] >= target
    assert mean_cosine(best, data) >= target                  # measured independently
    assert 0 < len(report.changed) < 2 * 5
    assert report.ranking and report.ranking[0][1] <= report.ranking[-1][1]
    eff = effective_precisions(best)
    rank = {"int8": 0, "int16": 1, "float": 2}
    # each raised layer runs at least as precisely as asked (an integer op fed by
    # float neighbours may itself run float)
    assert all(rank[eff[n].split("+")[0]] >= rank[p] for n, p in report.changed.items())
    assert report.cost_after.activation_bytes >= report.cost_before.activation_bytes


def test_auto_returns_the_model_when_the_budget_already_holds(toy):
    g, data = toy
    qm = quantize(g, data, show_progress=False)
    same, report = auto_mixed(qm, data, Budget(top1=0.0))
    assert same is qm and report.changed == {}


def test_auto_impossible_budget_reports_the_best(toy):
    g, data = toy
    qm = quantize(g, data, QuantConfig(weights="int4"), show_progress=False)
    with pytest.raises(NpukitError, match=r"cannot be met.*best reached is cosine 0\.\d+"):
        auto_mixed(qm, data, Budget(cosine=1.0), ladder=("int16",))
    with pytest.raises(NpukitError, match="needs a cosine or a top-1"):
        Budget()


def test_quantize_with_a_budget_in_the_config(toy):
    g, data = toy
    plain = quantize(g, data, QuantConfig(weights="int4"), show_progress=False)
    target = (mean_cosine(plain, data) + 1.0) / 2
    qm = quantize(g, data, QuantConfig(weights="int4", mixed=Budget(cosine=target),
                                       mixed_samples=8), show_progress=False)
    assert qm.mixed is not None and qm.mixed.changed
    assert qm.config.overrides == qm.mixed.changed
    assert mean_cosine(qm, data) >= target
