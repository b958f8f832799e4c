import numpy as np
import pytest
from ortcheck import check_node


@pytest.mark.parametrize("group,cin,cout", [(1, 3, 4), (2, 4, 6), (4, 4, 4), (1, 8, 16)])
@pytest.mark.parametrize("k,stride,pad,dil", [(3, 1, 1, 1), (3, 2, 0, 1), (1, 1, 0, 1),
                                              (5, 2, 2, 1), (3, 1, 2, 2)])
def test_conv2d_matches_ort(rng, group, cin, cout, k, stride, pad, dil):
    x = rng.standard_normal((2, cin, 11, 9)).astype(np.float32)
    w = rng.standard_normal((cout, cin // group, k, k)).astype(np.float32)
    b = rng.standard_normal(cout).astype(np.float32)
    check_node("Conv", [("x", x), ("w", w), ("b", b)], consts=("w", "b"), group=group,
               strides=[stride, stride], pads=[pad] * 4, dilations=[dil, dil],
               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER", "VALID"])
def test_conv_auto_pad(rng, auto_pad):
    x = rng.standard_normal((1, 2, 7, 8)).astype(np.float32)
    w = rng.standard_normal((3, 2, 4, 3)).astype(np.float32)
    check_node("Conv", [("x", x), ("w", w)], consts=("w",), auto_pad=auto_pad,
               strides=[2, 2], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dims", [1, 3])
def test_conv_1d_3d(rng, dims):
    x = rng.standard_normal((1, 2) + (6,) * dims).astype(np.float32)
    w = rng.standard_normal((4, 2) + (3,) * dims).astype(np.float32)
    check_node("Conv", [("x", x), ("w", w)], consts=("w",), pads=[1] * (2 * dims),
               rtol=1e-4, atol=1e-4)
