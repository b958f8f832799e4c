"""CTC greedy decoding against a plain-Python reference, plus hand-checked paths."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npukit.errors import InputError
from npukit.postprocess.ctc import collapse, greedy_decode, to_text


def ref_decode(frames, blank):
    """Arg-max per frame (first maximum), then CTC's collapse rule, written out."""
    path = []
    for f in frames:
        best = 0
        for c in range(len(f)):
            if f[c] > f[best]:
                best = c
        path.append(best)
    out = []
    for t, s in enumerate(path):
        if s == blank:
            continue
        if t > 0 and path[t - 1] == s:
            continue
        out.append(s)
    return out


def one_hot(path, c=4):
    return np.eye(c)[path]


def test_by_hand():
    # blank 0; "a a _ a b b _ _ b" → a a b b  (1 1 0 1 2 2 0 0 2 → 1 1 2 2)
    assert collapse([1, 1, 0, 1, 2, 2, 0, 0, 2]) == [1, 1, 2, 2]
    assert greedy_decode(one_hot([1, 1, 0, 1, 2, 2, 0, 0, 2])) == [[1, 1, 2, 2]]
    assert greedy_decode(one_hot([0, 0, 0])) == [[]]
    assert collapse([3, 3, 3], blank=3) == [] and collapse([0, 0, 1], blank=3) == [0, 1]
    assert to_text([1, 1, 2], "_ab") == "aab"


def test_layouts():
    paths = [[1, 0, 1, 2], [3, 3, 0, 0]]
    x = np.stack([one_hot(p) for p in paths])                # [N, T, C]
    want = [[1, 1, 2], [3]]
    assert greedy_decode(x, time_major=False) == want
    assert greedy_decode(x.transpose(1, 0, 2)) == want     # [T, N, C]


def test_errors():
    with pytest.raises(InputError, match="blank"):
        greedy_decode(np.zeros((3, 4)), blank=4)
    with pytest.raises(InputError):
        to_text([0], "_ab")


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 5).flatmap(lambda c: st.tuples(
    st.lists(st.lists(st.integers(-2, 2), min_size=c, max_size=c), min_size=1, max_size=25),
    st.integers(0, c - 1))))
def test_matches_reference(data):
    frames, blank = data
    assert greedy_decode(np.array(frames, np.float32), blank) == [ref_decode(frames, blank)]
