"""Empirical bias correction: the mean output error per channel shrinks."""

import numpy as np
import pytest

from npukit.ir import parse_graph
from npukit.quant.config import QuantConfig
from npukit.quant.quantizer import quantize
from npukit.sim import FloatExecutor

TOY = """graph "toy" opset 21 {
  input x: f32[1,8,6,6]
  const w1: f32[16,8,3,3] = randn
  const b1: f32[16] = randn
  const w2: f32[8,16,1,1] = randn
  node c1 = Conv(x, w1, b1) -> (a: f32[1,16,6,6]) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
  node c2 = Conv(a, w2) -> (y: f32[1,8,6,6]) {kernel_shape=[1, 1], activation="Relu"}
  output y
}"""


def feeds(rng, n):
    # inputs with a non-zero mean: weight rounding errors then shift the output mean
    return [{"x": (rng.standard_normal((1, 8, 6, 6)) * 0.5 + 1.0).astype(np.float32)}
            for _ in range(n)]


def mean_abs_channel_error(qm, data):
    fx = FloatExecutor(qm.float_graph)
    d = np.mean([qm.run(f)["y"] - fx.run(f)["y"] for f in data], axis=0)  # (1, C, H, W)
    return float(np.mean(np.abs(d.mean(axis=(0, 2, 3)))))


@pytest.mark.parametrize("mode", ["single", "sequential"])
def test_bias_correction_reduces_the_mean_output_error(rng, mode):
    g = parse_graph(TOY)
    calib, held_out = feeds(rng, 24), feeds(rng, 24)
    base = QuantConfig(weights="int4", bias_correction=False)
    plain = quantize(g, calib, base, show_progress=False)
    fixed = quantize(g, calib, QuantConfig(weights="int4", bias_correction=True,
                                           bias_correction_samples=24,
                                           bias_correction_mode=mode), show_progress=False)
    assert fixed.bias is not None and set(fixed.bias.shifts) == {"c1", "c2"}
    assert fixed.bias.samples == 24
    e_plain, e_fixed = mean_abs_channel_error(plain, held_out), \
        mean_abs_channel_error(fixed, held_out)
    assert e_fixed < 0.5 * e_plain
    # the float reference is untouched; c2 had no bias and got one in the quantized graph
    assert np.array_equal(fixed.float_graph.const("b1"), plain.float_graph.const("b1"))
    assert len(fixed.graph.node("c2").inputs) == 3
    assert len(fixed.float_graph.node("c2").inputs) == 2


def test_bias_correction_is_on_by_default_and_can_be_turned_off(rng):
    qm = quantize(parse_graph(TOY), feeds(rng, 4), show_progress=False)
    assert qm.bias is not None and qm.bias.samples == 4 and len(qm.feeds) == 4
    qm = quantize(parse_graph(TOY), feeds(rng, 4), QuantConfig(bias_correction=False),
                  show_progress=False)
    assert qm.bias is None and qm.feeds == []


def test_sequential_correction_is_the_same_on_fast_and_reference_kernels(rng, monkeypatch):
    """Each corrected layer is re-run with its new bias before the next is measured: with
    planned (fast) kernels the plan must be refreshed, so the biases chosen equal those
    chosen on the reference kernels, which read the record every time."""
    from npukit.quant.algorithms import stream
    g, calib = parse_graph(TOY), feeds(rng, 8)
    cfg = QuantConfig(weights="int4", bias_correction_samples=8)
    fast = quantize(g, calib, cfg, show_progress=False)
    real = stream.ProgramExecutor
    monkeypatch.setattr(stream, "ProgramExecutor", lambda prog: real(prog, reference=True))
    ref = quantize(g, calib, cfg, show_progress=False)
    for node in ("c1", "c2"):
        b = fast.graph.node(node).inputs[2]
        np.testing.assert_array_equal(fast.graph.const(b), ref.graph.const(b))
    assert fast.bias.shifts == ref.bias.shifts


DECONV = """graph "up" opset 21 {
  input x: f32[1,8,5,5]
  const w1: f32[8,3,3,3] = randn
  const b1: f32[6] = randn
  node up = ConvTranspose(x, w1, b1) -> (y: f32[1,6,9,9]) {group=2, strides=[2, 2],
    pads=[1, 1, 1, 1]}
  output y
}"""


def test_grouped_conv_transpose_is_corrected(rng):
    """ConvTranspose is corrected too; its per-channel scales (axis 1) are shared by the
    groups, so the accumulator step per output channel tiles them."""
    g = parse_graph(DECONV)
    data = [{"x": (rng.standard_normal((1, 8, 5, 5)) * 0.5 + 1.0).astype(np.float32)}
            for _ in range(48)]
    calib, held_out = data[:24], data[24:]
    plain = quantize(g, calib, QuantConfig(weights="int4", bias_correction=False),
                     show_progress=False)
    fixed = quantize(g, calib, QuantConfig(weights="int4", bias_correction_samples=24),
                     show_progress=False)
    assert set(fixed.bias.shifts) == {"up"}
    assert [r.engine for r in fixed.program.records if r.kernel == "ConvTranspose"] == ["npu"]
    assert mean_abs_channel_error(fixed, held_out) < 0.5 * mean_abs_channel_error(plain,
                                                                                  held_out)
