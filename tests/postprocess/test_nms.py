"""NMS against a slow, obviously-correct reference, plus boxes worked out by hand."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npukit.errors import InputError
from npukit.postprocess.nms import batched_nms, iou, nms


def ref_iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def ref_nms(boxes, scores, thr, score_thr=-float("inf"), max_det=None):
    order = sorted((i for i in range(len(scores)) if scores[i] >= score_thr),
                   key=lambda i: (-scores[i], i))
    keep = []
    for i in order:
        if max_det is not None and len(keep) == max_det:
            break
        if all(ref_iou(boxes[i], boxes[j]) <= thr for j in keep):
            keep.append(i)
    return keep


def ref_batched(boxes, scores, classes, thr, score_thr=-float("inf"), max_det=None):
    keep = []
    for c in sorted(set(classes)):
        idx = [i for i in range(len(scores)) if classes[i] == c]
        keep += [idx[k] for k in ref_nms([boxes[i] for i in idx], [scores[i] for i in idx],
                                         thr, score_thr)]
    keep.sort(key=lambda i: (-scores[i], i))
    return keep[:max_det]


# ---- hand-checked -------------------------------------------------------------

def test_iou_by_hand():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[5, 0, 15, 10], [0, 0, 10, 10], [20, 20, 30, 30], [0, 0, 5, 5]])
    # overlap 5×10 = 50, union 150 → 1/3; same box → 1; disjoint → 0; inside → 25/100
    np.testing.assert_allclose(iou(a, b)[0], [1 / 3, 1.0, 0.0, 0.25])


def test_nms_by_hand():
    boxes = np.array([[0, 0, 10, 10],     # 0: score .9, kept
                      [1, 0, 11, 10],     # 1: IoU with 0 = 90/110 = .818 → suppressed
                      [5, 0, 15, 10],     # 2: IoU with 0 = 1/3, with 1 (gone) → kept
                      [20, 20, 30, 30],   # 3: disjoint, kept
                      [21, 21, 31, 31]])  # 4: IoU with 3 = 81/119 = .68 → suppressed
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.95])
    # order by score: 4 (.95), 0, 1, 2, 3 → 4 kept, 0 kept, 1 gone, 2 kept, 3 gone (by 4)
    assert nms(boxes, scores, 0.5).tolist() == [4, 0, 2]
    # threshold .85: no pair overlaps that much (largest IoU .818) → all kept
    assert nms(boxes, scores, 0.85).tolist() == [4, 0, 1, 2, 3]
    # threshold 0.3: 2 now overlaps 0 by 1/3 > .3 → suppressed
    assert nms(boxes, scores, 0.3).tolist() == [4, 0]
    assert nms(boxes, scores, 0.5, score_threshold=0.75).tolist() == [4, 0]
    assert nms(boxes, scores, 0.5, max_detections=2).tolist() == [4, 0]


def test_class_aware_keeps_overlapping_boxes_of_other_classes():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [0, 1, 10, 11]])
    scores = np.array([0.9, 0.8, 0.7])
    assert nms(boxes, scores, 0.5).tolist() == [0]
    assert batched_nms(boxes, scores, np.array([0, 1, 0]), 0.5).tolist() == [0, 1]
    assert batched_nms(boxes, scores, np.array([0, 1, 2]), 0.5).tolist() == [0, 1, 2]
    assert batched_nms(boxes, scores, np.array([0, 1, 2]), 0.5,
                       max_detections=2).tolist() == [0, 1]


def test_ties_keep_the_lower_index_and_empty_inputs():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10]])
    assert nms(boxes, np.array([0.5, 0.5]), 0.5).tolist() == [0]
    assert nms(np.zeros((0, 4)), np.zeros(0)).tolist() == []
    assert batched_nms(np.zeros((0, 4)), np.zeros(0), np.zeros(0)).tolist() == []


def test_bad_shapes_are_clear_errors():
    with pytest.raises(InputError, match=r"\[N, 4\]"):
        nms(np.zeros((3, 5)), np.zeros(3))
    with pytest.raises(InputError, match="scores"):
        nms(np.zeros((3, 4)), np.zeros(2))


# ---- against the reference ------------------------------------------------------

@st.composite
def box_sets(draw):
    n = draw(st.integers(0, 14))
    coords = st.integers(0, 20)                  # small grid: many overlaps and ties
    boxes = []
    for _ in range(n):
        x0, y0 = draw(coords), draw(coords)
        boxes.append([x0, y0, x0 + draw(st.integers(0, 12)), y0 + draw(st.integers(0, 12))])
    scores = [draw(st.integers(0, 6)) / 6 for _ in range(n)]
    classes = [draw(st.integers(0, 2)) for _ in range(n)]
    return np.array(boxes, np.float64).reshape(-1, 4), np.array(scores), np.array(classes)


@settings(max_examples=150, deadline=None)
@given(box_sets(), st.sampled_from([0.0, 0.3, 0.5, 0.7]), st.sampled_from([-1.0, 0.4]),
       st.sampled_from([None, 1, 3]))
def test_nms_matches_reference(data, thr, score_thr, max_det):
    boxes, scores, classes = data
    assert nms(boxes, scores, thr, score_thr, max_det).tolist() == \
        ref_nms(boxes.tolist(), scores.tolist(), thr, score_thr, max_det)
    assert batched_nms(boxes, scores, classes, thr, score_thr, max_det).tolist() == \
        ref_batched(boxes.tolist(), scores.tolist(), classes.tolist(), thr, score_thr, max_det)


@settings(max_examples=60, deadline=None)
@given(box_sets(), box_sets())
def test_iou_matches_reference(a, b):
    got = iou(a[0], b[0])
    want = [[ref_iou(x, y) for y in b[0].tolist()] for x in a[0].tolist()]
    np.testing.assert_allclose(got, np.array(want).reshape(got.shape), atol=1e-12)
