"""Every light model, quantized, compiled for the targets: the Runtime on the .npk equals
the simulator to the bit; where the target places every node as the quantizer did, it also
equals the quantized model simulated before compilation (the target's rounding mode is
the quantizer's)."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from npukit.compiler import compile_model
from npukit.frontends.onnx import import_model
from npukit.frontends.onnx.zoo import light_model_path, light_models, randomized
from npukit.quant.quantizer import quantize
from npukit.runtime import Runtime
from npukit.sim.program_executor import ProgramExecutor
from npukit.targets import list_targets

LIGHT_MODELS = light_models()

#: every target for the smaller models; for the big ones, one target per rounding mode
#: (the programs of targets sharing a rounding mode and placement are identical), and
#: one target for the three huge fully-connected Caffe models to keep CI time bounded
ROUNDING_TARGETS = ["rk3588", "ascend310", "nvdla-full"]
TARGETS = {"squeezenet": list_targets(), "shufflenet": list_targets(),
           "inception_v1": list_targets(), "resnet50": ROUNDING_TARGETS,
           "densenet121": ROUNDING_TARGETS, "inception_v2": ROUNDING_TARGETS,
           "vgg19": ["rk3588"], "bvlc_alexnet": ["rk3588"], "zfnet512": ["rk3588"]}


@pytest.fixture(scope="module", params=LIGHT_MODELS)
def quantized(request):
    name = request.param
    g = import_model(randomized(onnx.load(light_model_path(name)), seed=3), name=name)
    rng = np.random.default_rng(0)
    shape = g.values[g.inputs[0]].shape
    calib = [{g.inputs[0]: rng.standard_normal(shape).astype(np.float32)} for _ in range(2)]
    x = {g.inputs[0]: rng.standard_normal(shape).astype(np.float32)}
    qm = quantize(g, calib, show_progress=False)
    return name, qm, x, qm.run(x)


@pytest.mark.slow
def test_npk_bit_exact_on_every_target(quantized, tmp_path):
    name, qm, x, before = quantized
    for target in TARGETS[name]:
        res = compile_model(qm, target, tmp_path / f"{name}_{target}.npk")
        want = ProgramExecutor(res.program).run(x)
        with Runtime(res.path) as rt:
            got = rt.run(x)
        for k in want:
            assert np.array_equal(got[k], want[k]), (name, target, k)
        same_program = res.program.rounding == qm.program.rounding and \
            [r.engine for r in res.program.records] == [r.engine for r in qm.program.records]
        if same_program:      # same placement and rounding as the in-memory simulation
            for k in before:
                assert np.array_equal(got[k], before[k]), (name, target, k)
