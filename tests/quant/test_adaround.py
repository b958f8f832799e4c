"""AdaRound: codes stay within one of nearest rounding and in range, a layer's held-out
output error drops, the integer program runs exactly the chosen codes, and the
options are validated."""

import numpy as np
import pytest

import npukit.quant.algorithms.adaround as ada
import npukit.quant.algorithms.adaround_solver as solver
from npukit.errors import NpukitError
from npukit.ir import parse_graph
from npukit.numerics.quantize import quantize as quantize_codes
from npukit.numerics.rounding import RoundingMode
from npukit.ops import infer_graph
from npukit.quant.config import QuantConfig
from npukit.quant.quantizer import quantize
from npukit.sim import FloatExecutor

TWO_CONVS = """graph "two" opset 21 {
  input x: f32[1,6,10,10]
  const w1: f32[12,6,3,3] = randn
  const b1: f32[12] = randn
  const w2: f32[8,3,3,3] = randn
  node c1 = Conv(x, w1, b1) -> (a: f32[1,12,10,10]) {pads=[1, 1, 1, 1], activation="Relu"}
  node c2 = Conv(a, w2) -> (y: f32[1,8,5,5]) {group=4, strides=[2, 2], pads=[1, 1, 1, 1]}
  output y
}"""


def correlated_inputs(rng, n, shape, mix_seed=7):
    """Inputs like real activations: spatially smooth, correlated across channels and
    non-negative.  Nearest rounding then leaves errors that add up across taps and
    channels, which AdaRound can trade off (on isotropic noise it cannot: nearest
    rounding is already optimal there)."""
    mix = np.random.default_rng(mix_seed).standard_normal((shape[1], shape[1]))
    out = []
    for _ in range(n):
        z = rng.standard_normal((shape[0], shape[1], shape[2] + 2, shape[3] + 2))
        z = sum(z[:, :, i:i + shape[2], j:j + shape[3]] for i in range(3) for j in range(3))
        x = np.einsum("dc,nc...->nd...", mix, z / 3) + 1.0
        out.append(np.maximum(x, 0.0).astype(np.float32))
    return out


def random_problem(rng, g, m, k, p, qmax):
    w = rng.standard_normal((g, m, k)) * 0.1
    s = np.abs(w).max(axis=2, keepdims=True) / qmax
    x = rng.standard_normal((g, k, p)).astype(np.float32)
    return w, s, x, np.matmul(w, x.astype(np.float64)).astype(np.float32)


@pytest.mark.parametrize("qmax,iters", [(127, 200), (7, 300)])
def test_codes_are_nearest_or_one_off_and_in_range(rng, qmax, iters):
    w, s, x, t = random_problem(rng, 3, 5, 40, 300, qmax)
    w[0, 0, :3] = [s[0, 0, 0] * qmax, -s[0, 0, 0] * qmax, 0.0]   # at the range ends, on 0
    q = solver.solve_rounding(w, s, qmax, x, t, solver.SolverParams(iters=iters))
    ratio = w / s
    assert q.dtype == np.int64 and q.shape == w.shape
    assert q.min() >= -qmax and q.max() <= qmax
    assert np.all((q == np.floor(ratio)) | (q == np.floor(ratio) + 1) | (np.abs(q) == qmax))
    assert np.abs(q - np.clip(np.rint(ratio), -qmax, qmax)).max() <= 1
    assert np.any(q != np.clip(np.rint(ratio), -qmax, qmax))     # it did choose something
    assert list(q[0, 0, :3]) == [qmax, -qmax, 0]


def test_dropping_clipped_weights_does_not_change_the_result(rng, monkeypatch):
    """Stepping only the weights whose h is not clipped gives the same codes as stepping
    all of them: a clipped weight's Adam momentum only carries it further out."""
    w, s, x, t = random_problem(rng, 2, 8, 64, 400, 7)
    p = solver.SolverParams(iters=300)
    packed = solver.solve_rounding(w, s, 7, x, t, p)
    monkeypatch.setattr(solver, "REPACK", 10 ** 9)               # never drop any
    np.testing.assert_array_equal(solver.solve_rounding(w, s, 7, x, t, p), packed)


def test_schedule_and_soft_rounding():
    p = solver.SolverParams(iters=100, warmup=0.2, beta=(20.0, 2.0))
    assert solver.beta_at(19, p) is None and solver.beta_at(20, p) == 20.0
    assert solver.beta_at(99, p) == pytest.approx(2.0 + 18.0 / 80)
    frac = np.linspace(0.0, 0.99, 12)
    np.testing.assert_allclose(solver.soft_rounding(solver.initial_v(frac)), frac, atol=1e-12)


@pytest.mark.parametrize("node_text,x_shape", [
    ('node c = Conv(x, w) -> (y: ?) {group=2, strides=[2, 1], pads=[1, 0, 2, 1], '
     'dilations=[1, 2]}', (2, 4, 9, 8)),
    ('node c = Conv(x, w) -> (y: ?) {group=4, pads=[1, 1, 1, 1]}', (1, 4, 6, 6)),
])
def test_conv_columns_reproduce_the_conv(rng, node_text, x_shape):
    group = 4 if "group=4" in node_text else 2
    g = parse_graph(f'''graph c opset 21 {{
      input x: f32[{",".join(map(str, x_shape))}]
      const w: f32[8,{x_shape[1] // group},3,3] = randn
      {node_text}
      output y
    }}''')
    infer_graph(g)
    node, w = g.node("c"), g.const("w")
    x = rng.standard_normal(x_shape).astype(np.float32)
    y = FloatExecutor(g).run({"x": x})["y"]
    n = ada._positions(node, x, w.shape)
    assert n == y.shape[0] * y.shape[2] * y.shape[3]
    pick = np.sort(rng.choice(n, 9, replace=False))
    cols = ada._columns(node, w.shape, [x], [pick])
    got = np.matmul(ada.as_rows(node, w), cols).reshape(8, -1)
    want = y.transpose(0, 2, 3, 1).reshape(-1, 8)[pick].T
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op,attrs,w_shape", [("Gemm", "{transB=1}", (5, 7)),
                                              ("Gemm", "{transA=1}", (7, 5)),
                                              ("MatMul", "", (7, 5))])
def test_gemm_rows_and_layouts(rng, op, attrs, w_shape):
    x_shape = (7, 3) if "transA" in attrs else (3, 7)
    g = parse_graph(f'''graph m opset 21 {{
      input x: f32[{x_shape[0]},{x_shape[1]}]
      const w: f32[{w_shape[0]},{w_shape[1]}] = randn
      node c = {op}(x, w) -> (y: ?) {attrs}
      output y
    }}''')
    infer_graph(g)
    node, w = g.node("c"), g.const("w")
    x = rng.standard_normal(x_shape).astype(np.float32)
    y = FloatExecutor(g).run({"x": x})["y"]
    rows = ada.as_rows(node, w)
    assert rows.shape == (1, 5, 7)
    np.testing.assert_array_equal(ada.from_rows(node, rows, w.shape), w)
    cols = ada._columns(node, w.shape, [x], [np.arange(3)])
    np.testing.assert_allclose(np.matmul(rows, cols)[0].T, y, rtol=1e-5, atol=1e-5)


def _layer_mse(qm, data):
    fx = FloatExecutor(qm.float_graph)
    return float(np.mean([(qm.run({"x": x})["y"] - fx.run({"x": x})["y"]) ** 2
                          for x in data]))


def test_adaround_lowers_held_out_output_error(rng):
    """One seeded conv layer: on inputs it never saw, AdaRound's weight rounding error
    in the layer output (float weights vs rounded ones, same float inputs) is well
    below nearest rounding's, and so is the quantized model's whole output error
    (which also holds the activations' own rounding, common to both)."""
    g = parse_graph("""graph "one" opset 21 {
      input x: f32[1,8,8,8]
      const w: f32[16,8,3,3] = randn
      node c = Conv(x, w) -> (y: f32[1,16,8,8]) {pads=[1, 1, 1, 1]}
      output y
    }""")
    calib = correlated_inputs(rng, 16, (1, 8, 8, 8))
    held_out = correlated_inputs(rng, 16, (1, 8, 8, 8))
    near = quantize(g, [{"x": x} for x in calib], QuantConfig(bias_correction=False),
                    show_progress=False)
    rounded = quantize(g, [{"x": x} for x in calib],
                       QuantConfig(adaround=True, bias_correction=False), show_progress=False)
    layer = rounded.adaround.layers["c"]
    assert 0 < layer.flipped < 0.5 and layer.error < layer.error_nearest

    def weight_error(qm):
        """The float layer with the program's integer weights (times their scales)."""
        rec = next(r for r in qm.program.records if r.kernel == "Conv")
        g_q = qm.float_graph.copy()
        scale = qm.graph.values["w"].quant.scale.reshape(-1, 1, 1, 1)
        g_q.values["w"].const = (rec.tensors["weights"] * scale).astype(np.float32)
        w_q, fx = FloatExecutor(g_q), FloatExecutor(qm.float_graph)
        return float(np.mean([(w_q.run({"x": x})["y"] - fx.run({"x": x})["y"]) ** 2
                              for x in held_out]))
    assert weight_error(rounded) < 0.6 * weight_error(near)
    e_near, e_ada = _layer_mse(near, held_out), _layer_mse(rounded, held_out)
    assert e_ada < 0.95 * e_near, (e_ada, e_near)


@pytest.mark.parametrize("mode,per_channel,weights", [("single", True, "int8"),
                                                      ("sequential", True, "int8"),
                                                      ("single", False, "int4")])
def test_integer_program_runs_exactly_the_chosen_codes(rng, monkeypatch, mode, per_channel,
                                                       weights):
    """Spy on the solver: the final program (after bias correction re-lowered it) holds
    the very codes AdaRound chose, and the stored float weights sit on the grid."""
    chosen = []
    real = ada.solve_rounding

    def spy(*args, **kw):
        chosen.append(real(*args, **kw))
        return chosen[-1]
    monkeypatch.setattr(ada, "solve_rounding", spy)
    g = parse_graph(TWO_CONVS)
    data = [{"x": x} for x in correlated_inputs(rng, 8, (1, 6, 10, 10))]
    cfg = QuantConfig(adaround=True, adaround_samples=8, adaround_iters=100,
                      adaround_mode=mode, per_channel=per_channel, weights=weights)
    qm = quantize(g, data, cfg, show_progress=False)
    assert list(qm.adaround.layers) == ["c1", "c2"] and len(chosen) == 2
    assert qm.bias is not None and qm.bias.shifts           # bias correction ran after it
    recs = {r.sources[0]: r for r in qm.program.records if r.kernel == "Conv"}
    for name, codes, wname in (("c1", chosen[0], "w1"), ("c2", chosen[1], "w2")):
        node = qm.graph.node(name)
        np.testing.assert_array_equal(ada.record_rows(node, recs[name]), codes)
        v = qm.graph.values[wname]
        for mode in ("half_away_from_zero", "half_to_even", "half_up"):
            again = quantize_codes(v.const.astype(np.float64), v.quant.scale.astype(np.float64),
                                   0, v.quant.dtype, RoundingMode.parse(mode), axis=v.quant.axis)
            np.testing.assert_array_equal(ada.as_rows(node, again.astype(np.int64)), codes)
    near = quantize(g, data, QuantConfig(per_channel=per_channel, weights=weights),
                    show_progress=False)
    assert not np.array_equal(near.program.records[1].tensors["weights"],
                              recs["c1"].tensors["weights"])


def test_gemm_layer_is_rounded_and_runs(rng):
    g = parse_graph("""graph "fc" opset 21 {
      input x: f32[4,32]
      const w: f32[10,32] = randn
      const b: f32[10] = randn
      node fc = Gemm(x, w, b) -> (y: f32[4,10]) {transB=1}
      output y
    }""")
    data = [{"x": rng.standard_normal((4, 32)).astype(np.float32)} for _ in range(8)]
    qm = quantize(g, data, QuantConfig(adaround=True, adaround_iters=50), show_progress=False)
    assert list(qm.adaround.layers) == ["fc"] and qm.adaround.layers["fc"].positions == 32
    want = FloatExecutor(g).run(data[0])["y"]
    assert np.abs(qm.run(data[0])["y"] - want).max() < 0.1 * np.abs(want).max()


@pytest.mark.parametrize("kw,needle", [({"adaround_samples": 0}, "adaround_samples"),
                                       ({"adaround_iters": 5}, "adaround_iters"),
                                       ({"adaround": True, "adaround_iters": 0},
                                        "adaround_iters"),
                                       ({"adaround_mode": "golden"}, "adaround mode")])
def test_config_is_validated(kw, needle):
    with pytest.raises(NpukitError, match=needle):
        QuantConfig(**kw)


def test_off_by_default_and_nothing_to_round(rng):
    g = parse_graph(TWO_CONVS)
    data = [{"x": x} for x in correlated_inputs(rng, 2, (1, 6, 10, 10))]
    assert quantize(g, data, show_progress=False).adaround is None
    qm = quantize(g, data, QuantConfig(adaround=True, adaround_iters=20,
                                       overrides={"Conv": "float"}), show_progress=False)
    assert qm.adaround is not None and qm.adaround.layers == {}


def test_auto_mixed_keeps_the_rounded_weights(rng):
    """Mixed-precision trials reuse AdaRound's weights (rounding again per trial would
    cost a full AdaRound each); the final model is rounded afresh."""
    from npukit.quant.config import Budget
    from npukit.quant.mixed import _candidate
    g = parse_graph(TWO_CONVS)
    data = [{"x": x} for x in correlated_inputs(rng, 4, (1, 6, 10, 10))]
    qm = quantize(g, data, QuantConfig(adaround=True, adaround_iters=50), show_progress=False)
    cand = _candidate(qm, {"c1": "int16"})
    assert cand.adaround is qm.adaround
    np.testing.assert_array_equal(cand.graph.const("w2"), qm.graph.const("w2"))
    np.testing.assert_array_equal(cand.graph.const("w1"), qm.graph.const("w1"))
    final = quantize(g, data, QuantConfig(adaround=True, adaround_iters=50,
                                          mixed=Budget(cosine=0.0)), show_progress=False)
    assert final.adaround is not None


def test_layer_with_too_few_positions_keeps_nearest_rounding(rng):
    """8 rows for 32 inputs per output: the fit would follow the samples, not the layer."""
    g = parse_graph("""graph "fc" opset 21 {
      input x: f32[2,32]
      const w: f32[10,32] = randn
      node fc = Gemm(x, w) -> (y: f32[2,10]) {transB=1}
      output y
    }""")
    data = [{"x": rng.standard_normal((2, 32)).astype(np.float32)} for _ in range(4)]
    qm = quantize(g, data, QuantConfig(adaround=True, adaround_iters=50), show_progress=False)
    assert qm.adaround.layers == {} and "8 output positions for 32 inputs" in \
        qm.adaround.skipped["fc"]
    near = quantize(g, data, show_progress=False)
    np.testing.assert_array_equal(qm.program.records[1].tensors["weights"],
                                  near.program.records[1].tensors["weights"])


def test_sequential_mode_fits_the_quantized_inputs(rng, monkeypatch):
    """In sequential mode the second layer is fitted on what the quantized first layer
    (already rounded) outputs; in single mode on the float model's own values."""
    seen = {}
    real = ada.solve_rounding

    def spy(w, s, qmax, x, t, p):
        seen.setdefault(mode, []).append(x)
        return real(w, s, qmax, x, t, p)
    monkeypatch.setattr(ada, "solve_rounding", spy)
    g = parse_graph(TWO_CONVS)
    data = [{"x": x} for x in correlated_inputs(rng, 4, (1, 6, 10, 10))]
    for mode in ("single", "sequential"):
        quantize(g, data, QuantConfig(adaround=True, adaround_iters=20, adaround_mode=mode,
                                      bias_correction=False), show_progress=False)
    single, seq = seen["single"][1], seen["sequential"][1]
    assert single.shape == seq.shape and not np.array_equal(single, seq)
    # the float inputs of c2 are c1's Relu output: the quantized ones are on its grid
    a_q = quantize(g, data, QuantConfig(bias_correction=False), show_progress=False)
    step = float(a_q.graph.values["a"].quant.scale[0])
    np.testing.assert_allclose(seq / step, np.round(seq / step), atol=1e-3)
    assert np.abs(single / step - np.round(single / step)).max() > 0.1


def test_sequential_mode_is_the_same_on_fast_and_reference_kernels(rng, monkeypatch):
    """Sequential AdaRound fits each layer behind the rounded layers before it, run on the
    planned (fast) kernels; the codes it chooses equal those chosen when the stream runs
    the reference kernels instead."""
    from npukit.quant.algorithms import stream
    g = parse_graph(TWO_CONVS)
    data = [{"x": x} for x in correlated_inputs(rng, 4, (1, 6, 10, 10))]
    cfg = QuantConfig(adaround=True, adaround_iters=20, adaround_mode="sequential",
                      bias_correction=False)
    fast = quantize(g, data, cfg, show_progress=False)
    real = stream.ProgramExecutor
    monkeypatch.setattr(stream, "ProgramExecutor", lambda prog: real(prog, reference=True))
    ref = quantize(g, data, cfg, show_progress=False)
    for a, b in zip(fast.program.records, ref.program.records):
        if "weights" in a.tensors:
            np.testing.assert_array_equal(a.tensors["weights"], b.tensors["weights"])
