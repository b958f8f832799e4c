"""optimize(level="O3") on every light model in the onnx wheel still matches ONNX Runtime.

The optimised graph is exported back to ONNX (fused activations and
npukit::Swish lowered to standard ops) and run in ONNX Runtime next to the
original model.  Models run with their shipped ConstantOfShape weights and
with seeded random weights (``zoo.randomized``), which give non-degenerate
activations.
"""

import numpy as np
import onnx
import pytest
from ortcheck import ort_run

from npukit.frontends.onnx import export_model, import_model
from npukit.frontends.onnx.zoo import light_model_path, light_models, randomized
from npukit.passes import optimize

LIGHT_MODELS = light_models()

RTOL, ATOL = 1e-3, 1e-4
GONE = ("BatchNormalization", "Dropout", "ConstantOfShape", "Identity")


@pytest.mark.slow
@pytest.mark.parametrize("random_weights", [False, True], ids=["shipped", "random-weights"])
@pytest.mark.parametrize("name", LIGHT_MODELS)
def test_o3_light_model_matches_ort_on_the_original(name, random_weights):
    model = onnx.load(str(light_model_path(name)))
    if random_weights:
        model = randomized(model, seed=1)
        # randomized() adds initializers that IR 3 requires to be graph inputs as well;
        # onnx's version converter rejects the model unless the IR version allows that
        model.ir_version = max(model.ir_version, 4)
    g = import_model(model, name=name)
    x = np.random.default_rng(0).standard_normal(g.values[g.inputs[0]].shape)
    feeds = {g.inputs[0]: x.astype(np.float32)}
    opt, report = optimize(g, level="O3")
    assert not set(GONE) & set(report.ops_after), report.format()
    assert report.nodes_after < report.nodes_before
    ref = ort_run(model, feeds)
    got = ort_run(export_model(opt), feeds)
    assert len(got) == len(ref)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name}: optimised graph differs from ORT")
