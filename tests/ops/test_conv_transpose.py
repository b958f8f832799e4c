"""ConvTranspose against ONNX Runtime (1-D/2-D/3-D, groups, dilations, pads,
output_padding, output_shape, auto_pad)."""

import numpy as np
import pytest
from ortcheck import check_node


def _xw(rng, cin, cout_g, in_sp, k):
    x = rng.standard_normal((2, cin) + tuple(in_sp)).astype(np.float32)
    w = rng.standard_normal((cin, cout_g) + tuple(k)).astype(np.float32)
    return x, w


@pytest.mark.parametrize("group,cin,cout_g", [(1, 3, 4), (2, 4, 3), (4, 4, 1)])
@pytest.mark.parametrize("k,stride,pad,dil", [(3, 1, 1, 1), (3, 2, 0, 1), (1, 1, 0, 1),
                                              (4, 2, 1, 1), (3, 2, 2, 2), (2, 3, 0, 1)])
def test_conv_transpose_2d_matches_ort(rng, group, cin, cout_g, k, stride, pad, dil):
    x, w = _xw(rng, cin, cout_g, (5, 7), (k, k))
    b = rng.standard_normal(cout_g * group).astype(np.float32)
    check_node("ConvTranspose", [("x", x), ("w", w), ("b", b)], consts=("w", "b"),
               group=group, strides=[stride, stride], pads=[pad] * 4,
               dilations=[dil, dil], rtol=1e-4, atol=1e-4)


def test_conv_transpose_asymmetric_pads_and_output_padding(rng):
    x, w = _xw(rng, 2, 3, (4, 6), (3, 2))
    check_node("ConvTranspose", [("x", x), ("w", w)], consts=("w",), strides=[3, 2],
               pads=[1, 0, 2, 1], output_padding=[1, 1], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("out_shape", [[10, 8], [11, 9], [9, 7]])
def test_conv_transpose_output_shape(rng, out_shape):
    x, w = _xw(rng, 2, 3, (5, 4), (3, 3))
    check_node("ConvTranspose", [("x", x), ("w", w)], consts=("w",), strides=[2, 2],
               output_shape=out_shape, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER", "VALID"])
@pytest.mark.parametrize("k", [3, 4])
def test_conv_transpose_auto_pad(rng, auto_pad, k):
    # kernel 3 / stride 2 makes the total padding odd: SAME_UPPER puts the extra unit
    # at the end, SAME_LOWER at the beginning.
    x, w = _xw(rng, 2, 3, (5, 6), (k, k))
    check_node("ConvTranspose", [("x", x), ("w", w)], consts=("w",), strides=[2, 2],
               auto_pad=auto_pad, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dims", [1, 3])
def test_conv_transpose_1d_3d(rng, dims):
    x, w = _xw(rng, 2, 4, (5,) * dims, (3,) * dims)
    b = rng.standard_normal(4).astype(np.float32)
    check_node("ConvTranspose", [("x", x), ("w", w), ("b", b)], consts=("w", "b"),
               strides=[2] * dims, pads=[1] * (2 * dims), output_padding=[1] * dims,
               rtol=1e-4, atol=1e-4)


def test_conv_transpose_dynamic_weights(rng):
    x = rng.standard_normal((1, 2, 3, 3)).astype(np.float32)
    w = rng.standard_normal((2, 2, 3, 3)).astype(np.float32)
    check_node("ConvTranspose", [("x", x), ("w", w)], strides=[2, 2], rtol=1e-4, atol=1e-4)
