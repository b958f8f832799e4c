"""Every light model in the onnx wheel imports and, before optimisation, matches ONNX Runtime.
(After -O3: tests/passes/test_optimize_light_models.py.)"""

import numpy as np
import onnx
import pytest
from ortcheck import npk_run, ort_run

from npukit.frontends.onnx import import_model
from npukit.frontends.onnx.zoo import light_model_path, light_models, randomized

LIGHT_MODELS = light_models()

RTOL, ATOL = 1e-3, 1e-4


def _case(name: str, random_weights: bool):
    model = onnx.load(light_model_path(name))
    if random_weights:
        model = randomized(model, seed=1)
    g = import_model(model, name=name)
    shape = g.values[g.inputs[0]].shape
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    return model, g, {g.inputs[0]: x}


@pytest.mark.parametrize("random_weights", [False, True], ids=["shipped", "random-weights"])
@pytest.mark.parametrize("name", LIGHT_MODELS)
def test_light_model_matches_ort_before_optimisation(name, random_weights):
    model, g, feeds = _case(name, random_weights)
    ref = ort_run(model, feeds)
    ours = npk_run(g, feeds)
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name} (imported) differs from ONNX Runtime")
