"""EfficientNet-Lite0 (real ImageNet weights): the default int8 meets the fidelity goal.

The goal (docs/quantization.md) is top-1 agreement ≥ 93 % and mean output
cosine ≥ 0.998 against the float model; here on a reduced set (50 calibration
/ 50 evaluation photo crops), so the bounds carry a little slack for the
smaller sample.  Skipped with the reason when torch or the
efficientnet_lite0 weights package is not installed.
"""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def enet(efficientnet):
    from npukit.api import load
    path, mean, std, crops, to_nchw = efficientnet
    return load(path).graph, to_nchw(crops(50, 1), mean, std), to_nchw(crops(50, 2), mean, std)


@pytest.mark.slow
def test_default_int8_meets_the_goal(enet):
    from npukit.quant.quantizer import quantize
    from npukit.sim import FloatExecutor
    from npukit.sim.program_executor import ProgramExecutor
    graph, calib, evals = enet
    qm = quantize(graph, [{"image": calib[i:i + 1]} for i in range(len(calib))],
                  show_progress=False)
    fx, px = FloatExecutor(qm.float_graph), ProgramExecutor(qm.program)
    ref = np.concatenate([fx.run({"image": x[None]})["logits"] for x in evals])
    out = np.concatenate([px.run({"image": x[None]})["logits"] for x in evals])
    cos = (ref * out).sum(1) / np.linalg.norm(ref, axis=1) / np.linalg.norm(out, axis=1)
    agree = float(np.mean(ref.argmax(1) == out.argmax(1)))
    assert agree >= 0.92, f"top-1 agreement {agree:.2%}, mean cosine {cos.mean():.5f}"
    assert cos.mean() >= 0.997, f"mean cosine {cos.mean():.5f}, agreement {agree:.2%}"
