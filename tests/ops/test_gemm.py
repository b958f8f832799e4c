import numpy as np
import pytest
from ortcheck import check_node


@pytest.mark.parametrize("ta,tb", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_gemm(rng, ta, tb):
    a = rng.standard_normal((5, 3) if ta else (3, 5)).astype(np.float32)
    b = rng.standard_normal((4, 5) if tb else (5, 4)).astype(np.float32)
    c = rng.standard_normal((4,)).astype(np.float32)
    check_node("Gemm", [("a", a), ("b", b), ("c", c)], consts=("b", "c"), transA=ta,
               transB=tb, alpha=0.5, beta=2.0, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((4,), (4, 5)),
                                   ((2, 1, 3, 4), (5, 4, 2)), ((4,), (4,))])
def test_matmul(rng, sa, sb):
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    check_node("MatMul", [("a", a), ("b", b)], rtol=1e-5, atol=1e-5)
