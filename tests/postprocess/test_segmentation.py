"""Segmentation arg-max, resizing and mean IoU against plain-Python references."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npukit.errors import InputError
from npukit.postprocess.segmentation import (
    argmax,
    mean_iou,
    resize_bilinear,
    resize_mask,
    segment,
)


def ref_bilinear(img, oh, ow):
    """Half-pixel bilinear on one channel, written out pixel by pixel."""
    h, w = len(img), len(img[0])
    out = []
    for y in range(oh):
        sy = min(max((y + 0.5) * h / oh - 0.5, 0), h - 1)
        y0 = math.floor(sy)
        y1, fy = min(y0 + 1, h - 1), sy - y0
        row = []
        for x in range(ow):
            sx = min(max((x + 0.5) * w / ow - 0.5, 0), w - 1)
            x0 = math.floor(sx)
            x1, fx = min(x0 + 1, w - 1), sx - x0
            top = img[y0][x0] * (1 - fx) + img[y0][x1] * fx
            bot = img[y1][x0] * (1 - fx) + img[y1][x1] * fx
            row.append(top * (1 - fy) + bot * fy)
        out.append(row)
    return out


def ref_nearest(mask, oh, ow):
    h, w = len(mask), len(mask[0])
    return [[mask[min(int((y + 0.5) * h / oh), h - 1)][min(int((x + 0.5) * w / ow), w - 1)]
             for x in range(ow)] for y in range(oh)]


def ref_miou(pred, true, n):
    ious = []
    for c in range(n):
        inter = sum(p == c and t == c for p, t in zip(pred, true))
        union = sum(p == c or t == c for p, t in zip(pred, true))
        if union:
            ious.append(inter / union)
    return sum(ious) / len(ious)


def test_by_hand():
    logits = np.zeros((3, 2, 2))
    logits[1, 0, 0] = logits[2, 1, 1] = 1.0
    assert argmax(logits[None]).tolist() == [[1, 0], [0, 2]]
    # ×2 nearest: every pixel becomes a 2×2 block
    assert resize_mask(np.array([[1, 2], [3, 4]]), (4, 4)).tolist() == [
        [1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    # ×2 bilinear, half-pixel: [0, 4] → [0, 1, 3, 4]
    np.testing.assert_allclose(resize_bilinear(np.array([[[0.0, 4.0]]]), (1, 4)),
                               [[[0, 1, 3, 4]]])
    # class 1 wins left, class 2 right once upsampled
    two = np.array([[[0.0, 0.0]], [[1.0, -1.0]], [[-1.0, 1.0]]])
    assert segment(two, (1, 4)).tolist() == [[1, 1, 2, 2]]
    # 2 of 4 pixels right for class 0 (IoU 1/2... computed: see below)
    pred, true = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    # class 0: inter 1, union 2 → .5; class 1: inter 2, union 3 → 2/3
    miou, per = mean_iou(pred, true, 3)
    assert miou == pytest.approx((0.5 + 2 / 3) / 2) and math.isnan(per[2])


def test_errors():
    with pytest.raises(InputError):
        argmax(np.zeros((2, 2)))
    with pytest.raises(InputError):
        mean_iou(np.zeros(3, int), np.zeros(4, int), 2)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 9), st.integers(1, 9),
       st.data())
def test_resizes_match_reference(h, w, oh, ow, data):
    img = data.draw(st.lists(st.lists(st.floats(-5, 5, allow_nan=False), min_size=w,
                                      max_size=w), min_size=h, max_size=h))
    got = resize_bilinear(np.array(img)[None], (oh, ow))[0]
    np.testing.assert_allclose(got, ref_bilinear(img, oh, ow), atol=1e-9)
    mask = [[int(v) for v in row] for row in img]
    assert resize_mask(np.array(mask), (oh, ow)).tolist() == ref_nearest(mask, oh, ow)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=40))
def test_mean_iou_matches_reference(pairs):
    pred, true = np.array([p for p, _ in pairs]), np.array([t for _, t in pairs])
    assert mean_iou(pred, true, 4)[0] == pytest.approx(ref_miou(pred.tolist(),
                                                                true.tolist(), 4))
