"""YOLO decoding (anchor-based, anchor-free, DFL) against plain-Python loops, plus
hand-worked cells and the end-to-end ``detect``."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npukit.errors import InputError
from npukit.postprocess.yolo import decode_anchor_based, decode_anchor_free, detect, dfl


def sig(v):
    return 1 / (1 + math.exp(-v))


def ref_anchor_based(p, anchors, stride, nc):
    """p[a * (5 + nc) + k][y][x], boxes listed anchor by anchor, row by row."""
    h, w = len(p[0]), len(p[0][0])
    boxes, scores = [], []
    for a, (aw, ah) in enumerate(anchors):
        ch = [p[a * (5 + nc) + k] for k in range(5 + nc)]
        for y in range(h):
            for x in range(w):
                cx = (sig(ch[0][y][x]) * 2 - 0.5 + x) * stride
                cy = (sig(ch[1][y][x]) * 2 - 0.5 + y) * stride
                bw = (sig(ch[2][y][x]) * 2) ** 2 * aw
                bh = (sig(ch[3][y][x]) * 2) ** 2 * ah
                boxes.append([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2])
                obj = sig(ch[4][y][x])
                scores.append([obj * sig(ch[5 + c][y][x]) for c in range(nc)])
    return boxes, scores


def ref_anchor_free(box, cls, stride, reg_max):
    h, w = len(cls[0]), len(cls[0][0])
    boxes, scores = [], []
    for y in range(h):
        for x in range(w):
            d = []
            for side in range(4):
                logits = [box[side * reg_max + b][y][x] for b in range(reg_max)]
                if reg_max == 1:
                    d.append(logits[0])
                else:
                    m = max(logits)
                    e = [math.exp(v - m) for v in logits]
                    d.append(sum(i * e[i] for i in range(reg_max)) / sum(e))
            cx, cy = (x + 0.5) * stride, (y + 0.5) * stride
            boxes.append([cx - d[0] * stride, cy - d[1] * stride,
                          cx + d[2] * stride, cy + d[3] * stride])
            scores.append([sig(cls[c][y][x]) for c in range(len(cls))])
    return boxes, scores


def test_anchor_based_by_hand():
    # one anchor (10, 20), stride 8, 1 class, all logits 0: σ = .5 → centre offset .5,
    # wh = (2·.5)² · anchor = anchor; cell (x=1, y=0) → centre (12, 4)
    boxes, scores = decode_anchor_based(np.zeros((6, 1, 2)), [(10, 20)], 8, 1)
    np.testing.assert_allclose(boxes[1], [7, -6, 17, 14])
    np.testing.assert_allclose(scores, [[0.25], [0.25]])


def test_anchor_free_by_hand():
    box = np.ones((4, 2, 2))                  # 1 stride on every side
    cls = np.zeros((2, 2, 2))
    boxes, scores = decode_anchor_free(box, cls, 8)
    np.testing.assert_allclose(boxes[0], [-4, -4, 12, 12])     # cell (0, 0), centre (4, 4)
    np.testing.assert_allclose(boxes[3], [4, 4, 20, 20])       # cell (1, 1), centre (12, 12)
    np.testing.assert_allclose(scores, 0.5)
    # DFL with equal logits over 4 bins: expectation (0+1+2+3)/4 = 1.5 strides
    np.testing.assert_allclose(dfl(np.zeros((16, 1)), 4), 1.5)
    peaked = np.full((16, 1), -50.0)
    peaked[[2, 4 + 3, 8 + 0, 12 + 1]] = 50.0
    np.testing.assert_allclose(dfl(peaked, 4)[:, 0], [2, 3, 0, 1], atol=1e-9)


def test_detect_by_hand():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [50, 50, 60, 60]])
    scores = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.7], [0.2, 0.1]])
    det = detect(boxes, scores, score_threshold=0.25, iou_threshold=0.5)
    # box 1 is suppressed by 0 (same class, IoU 81/119); 2 is class 1; 3 below threshold
    assert det.classes.tolist() == [0, 1] and len(det) == 2
    np.testing.assert_allclose(det.scores, [0.9, 0.7])
    agnostic = detect(boxes, scores, score_threshold=0.25, class_agnostic=True)
    assert agnostic.classes.tolist() == [0]
    clipped = detect(np.array([[-5, -5, 70, 8]]), np.array([[0.9]]), clip_to=(64, 64))
    np.testing.assert_allclose(clipped.boxes, [[0, 0, 64, 8]])


def test_errors():
    with pytest.raises(InputError, match="anchors"):
        decode_anchor_based(np.zeros((7, 2, 2)), [(1, 1)], 8, 1)
    with pytest.raises(InputError, match="reg_max"):
        decode_anchor_free(np.zeros((4, 2, 2)), np.zeros((1, 2, 2)), 8, reg_max=4)


small = st.floats(-4, 4, allow_nan=False)


def grids(c, h, w):
    return st.lists(st.lists(st.lists(small, min_size=w, max_size=w), min_size=h, max_size=h),
                    min_size=c, max_size=c)


@settings(max_examples=40, deadline=None)
@given(st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))
       .flatmap(lambda t: st.tuples(st.just(t), grids(t[0] * (5 + t[1]), t[2], t[3]))),
       st.sampled_from([8, 16, 32]))
def test_anchor_based_matches_reference(data, stride):
    (na, nc, _, _), p = data
    anchors = [(10.0, 13.0), (33.0, 23.0)][:na]
    boxes, scores = decode_anchor_based(np.array(p)[None], anchors, stride, nc)
    rb, rs = ref_anchor_based(p, anchors, stride, nc)
    np.testing.assert_allclose(boxes, rb, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(scores, rs, rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.tuples(st.sampled_from([1, 4]), st.integers(1, 3), st.integers(1, 3),
                 st.integers(1, 3))
       .flatmap(lambda t: st.tuples(st.just(t), grids(4 * t[0], t[2], t[3]),
                                    grids(t[1], t[2], t[3]))))
def test_anchor_free_matches_reference(data):
    (reg_max, _, _, _), box, cls = data
    boxes, scores = decode_anchor_free(np.array(box), np.array(cls), 8, reg_max=reg_max)
    rb, rs = ref_anchor_free(box, cls, 8, reg_max)
    np.testing.assert_allclose(boxes, rb, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(scores, rs, rtol=1e-9, atol=1e-12)
