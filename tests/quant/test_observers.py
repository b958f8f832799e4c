"""Observers: hand-checked ranges, streaming == one-shot, clip choices, bounded memory."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npukit.errors import NpukitError
from npukit.quant.observers import (
    OBSERVERS,
    EntropyObserver,
    HistogramObserver,
    MinMaxObserver,
    MovingAverageMinMaxObserver,
    MseObserver,
    PercentileObserver,
    PerChannelMinMaxObserver,
    make_observer,
    mse_weight_clip,
)

HIST = ["histogram", "percentile", "kl", "mse"]


def stream(obs, data, parts=10):
    for b in np.array_split(data, parts):
        obs.update(b)
    return obs


def test_minmax_hand_checked():
    o = MinMaxObserver()
    o.update(np.array([[1.0, -2.0], [3.5, 0.0]]))
    o.update(np.array([0.5, 4.25]))
    assert o.range() == (-2.0, 4.25)
    assert o.batches == 2


def test_minmax_streaming_equals_one_shot(rng):
    x = rng.standard_normal((37, 5)).astype(np.float32)
    one = MinMaxObserver()
    one.update(x)
    assert stream(MinMaxObserver(), x, 7).range() == one.range()


def test_moving_average_minmax():
    o = MovingAverageMinMaxObserver(averaging_constant=0.5)
    o.update(np.array([0.0, 4.0]))
    o.update(np.array([-2.0, 2.0]))
    assert o.range() == (-1.0, 3.0)
    with pytest.raises(NpukitError):
        MovingAverageMinMaxObserver(averaging_constant=0.0)


def test_per_channel_minmax():
    w = np.array([[[1.0, -3.0]], [[2.0, 5.0]], [[-1.0, -1.0]]])  # C=3 on axis 0
    o = PerChannelMinMaxObserver(axis=0)
    o.update(w)
    lo, hi = o.range()
    np.testing.assert_array_equal(lo, [-3.0, 2.0, -1.0])
    np.testing.assert_array_equal(hi, [1.0, 5.0, -1.0])
    o2 = PerChannelMinMaxObserver(axis=-1)
    o2.update(w)
    np.testing.assert_array_equal(o2.range()[1], [2.0, 5.0])
    with pytest.raises(NpukitError, match="channels"):
        o.update(np.zeros((4, 1, 2)))


def test_mse_weight_clip_vectorised(rng):
    from npukit.quant.observers.weight_clip import _quant_error
    w = np.stack([rng.laplace(0, 1, 1024), rng.uniform(-1, 1, 1024),
                  np.zeros(1024)]).astype(np.float32)
    clip = mse_weight_clip(w, axis=0, bits=4)
    assert clip.ratio.shape == (3,)
    assert clip.ratio[0] < 0.8 < 0.9 < clip.ratio[1]   # heavy tails clipped, uniform kept
    np.testing.assert_allclose(clip.hi, -clip.lo)
    full = _quant_error(w.astype(np.float64), w.min(1) * 1.0, w.max(1) * 1.0, 16, True)
    chosen = _quant_error(w.astype(np.float64), clip.lo, clip.hi, 16, True)
    assert np.all(chosen <= full + 1e-9)
    wt = np.ascontiguousarray(w.T)                      # same answer along another axis
    np.testing.assert_allclose(mse_weight_clip(wt, axis=1, bits=4).ratio, clip.ratio)
    asym = mse_weight_clip(w, axis=0, bits=8, symmetric=False)
    assert np.all(asym.lo <= 0) and np.all(asym.hi >= 0)
    with pytest.raises(NpukitError, match="bits"):
        mse_weight_clip(w, bits=1)


def test_registry_and_unknown_name():
    assert {"minmax", "percentile", "kl", "mse"} <= set(OBSERVERS)
    assert isinstance(make_observer("kl", levels=256), EntropyObserver)
    with pytest.raises(NpukitError, match="(?s)unknown observer 'entropyy'.*kl.*minmax"):
        make_observer("entropyy")
    with pytest.raises(NpukitError, match="bad options"):
        make_observer("minmax", bins=3)


@pytest.mark.parametrize("name", ["minmax", "moving_minmax", *HIST])
def test_no_data_and_non_finite(name):
    o = make_observer(name)
    with pytest.raises(NpukitError, match="no data"):
        o.range()
    o.update(np.zeros(0, np.float32))      # empty batches are ignored
    with pytest.raises(NpukitError, match="non-finite"):
        o.update(np.array([1.0, np.nan]))


@pytest.mark.parametrize("name", HIST)
def test_reset(name, rng):
    o = make_observer(name)
    o.update(rng.standard_normal(100))
    o.reset()
    assert o.batches == 0 and not o.counts.any()


def test_histogram_counts_equal_one_shot_histogram_after_growth(rng):
    """Re-binning is exact: streamed counts == np.histogram on the final lattice."""
    batches = [rng.standard_normal(1000).astype(np.float32) * s + m
               for s, m in [(0.01, 0.0), (1.0, 0.0), (0.1, 30.0), (50.0, -10.0), (1.0, 0.0)]]
    o = HistogramObserver(bins=256)
    for b in batches:
        o.update(b)
    x = np.concatenate(batches)
    idx = np.floor(x * o.inv_width).astype(np.int64) - o.origin
    assert idx.min() >= 0 and idx.max() < o.bins
    np.testing.assert_array_equal(o.counts, np.bincount(idx, minlength=o.bins))
    assert o.range() == (float(x.min()), float(x.max()))


def test_histogram_window_slides_without_coarsening():
    o = HistogramObserver(bins=64)
    o.update(np.array([0.0, 1.0], np.float32))
    inv = o.inv_width
    o.update(np.array([-0.25], np.float32))    # fits after a slide: width unchanged
    assert o.inv_width == inv and o.counts.sum() == 3
    np.testing.assert_array_equal(o.edges()[np.flatnonzero(o.counts)] <= [-0.25, 0, 1],
                                  True)


@pytest.mark.parametrize("name", HIST)
def test_histogram_memory_is_bounded(name, rng):
    o = make_observer(name, bins=512)
    for k in range(200):
        o.update(rng.standard_normal(50) * (1 + k))   # range keeps growing
    assert o.counts.shape == (512,) and o.counts.sum() == 200 * 50
    assert sum(v.nbytes for v in vars(o).values() if isinstance(v, np.ndarray)) == 512 * 8


def test_signed_view_merges_exactly(rng):
    o = HistogramObserver(bins=1024)
    o.update(rng.standard_normal(5000))
    counts, edges = o.signed(max_bins=300)
    assert counts.size <= 300 and counts.sum() == 5000
    full, _ = o.signed()
    np.testing.assert_array_equal(counts, np.histogram(o.edges()[:-1] + o.width / 2,
                                                       bins=edges, weights=full)[0])
    x = rng.laplace(0, 1, 20_000)
    wide, narrow = make_observer("mse", bins=8192), make_observer("mse", bins=2048)
    wide.update(x)
    narrow.update(x)
    np.testing.assert_allclose(wide.range(), narrow.range(), atol=2 * narrow.width)


def test_constant_then_wide_data():
    o = HistogramObserver()
    o.update(np.zeros(10, np.float32))
    o.update(np.array([1e6, -3.0], np.float32))
    assert o.counts.sum() == 12 and o.range() == (-3.0, 1e6)


@pytest.mark.parametrize("symmetric", [False, True])
def test_percentile_matches_numpy(rng, symmetric):
    x = rng.laplace(0.5, 1.0, 100_000).astype(np.float32)
    o = stream(PercentileObserver(99.9, symmetric=symmetric), x)
    lo, hi = o.range()
    tol = 1.01 * o.width * (2 if symmetric else 1)
    if symmetric:
        t = np.percentile(np.abs(x), 99.9)
        assert hi == pytest.approx(min(t, x.max()), abs=tol)
        assert lo == pytest.approx(max(-t, x.min()), abs=tol)
    else:
        assert lo == pytest.approx(np.percentile(x, 0.1), abs=tol)
        assert hi == pytest.approx(np.percentile(x, 99.9), abs=tol)
    full = stream(PercentileObserver(100.0), x)
    assert full.range() == (float(x.min()), float(x.max()))


@pytest.mark.parametrize("name", ["percentile", "kl", "mse"])
def test_streaming_equals_one_shot_within_a_bin(name, rng):
    x = rng.laplace(0, 1, 50_000).astype(np.float32)
    one = make_observer(name)
    one.update(x)
    streamed = make_observer(name)
    for b in np.array_split(np.sort(x)[::-1], 20):     # the range grows at every batch
        streamed.update(b)
    width = max(one.width, streamed.width)
    # percentile: within one bin of each; KL / MSE searches: within a few bins
    tol = 2.01 * width if name == "percentile" else 8.01 * width
    np.testing.assert_allclose(streamed.range(), one.range(), atol=tol)


@pytest.mark.parametrize("obs", [lambda: EntropyObserver(), lambda: MseObserver(),
                                 lambda: MseObserver(symmetric=True)])
def test_heavy_tails_are_clipped_uniform_is_not(obs, rng):
    lap = rng.laplace(0, 1, 200_000).astype(np.float32)
    lo, hi = stream(obs(), lap).range()
    assert hi < 0.9 * lap.max() and lo > 0.9 * lap.min()
    uni = rng.uniform(-1, 1, 200_000).astype(np.float32)
    lo, hi = stream(obs(), uni).range()
    assert hi > 0.98 and lo < -0.98


def test_one_sided_data_gives_one_sided_range(rng):
    relu = np.maximum(rng.standard_normal(100_000), 0).astype(np.float32)
    for o in (EntropyObserver(), MseObserver(), PercentileObserver(99.9)):
        lo, hi = stream(o, relu).range()
        assert lo == 0.0 and 0.5 < hi <= relu.max()


def test_entropy_levels_and_signedness(rng):
    relu = np.maximum(rng.laplace(0, 1, 100_000), 0).astype(np.float32)
    t_int8 = stream(EntropyObserver(levels=256, symmetric=True), relu).range()[1]
    t_uint8 = stream(EntropyObserver(levels=256, symmetric=False), relu).range()[1]
    t_int16 = stream(EntropyObserver(levels=65536), relu).range()[1]
    assert t_int8 <= t_uint8 <= t_int16 == relu.max()   # more levels: less clipping


@pytest.mark.parametrize("name", HIST)
def test_merge(name, rng):
    a, b = rng.laplace(0, 1, 20_000), rng.laplace(0, 3, 20_000)
    oa, ob, both = make_observer(name), make_observer(name), make_observer(name)
    oa.update(a)
    ob.update(b)
    both.update(a)
    both.update(b)
    oa.merge(ob)
    assert oa.counts.sum() == 40_000 and oa.batches == 2
    np.testing.assert_allclose(oa.range(), both.range(), atol=4 * both.width)
    with pytest.raises(NpukitError):
        oa.merge(MinMaxObserver())


def test_minmax_merge():
    a, b = MinMaxObserver(), MinMaxObserver()
    a.update(np.array([1.0, 2.0]))
    b.update(np.array([-1.0, 0.0]))
    a.merge(b)
    assert a.range() == (-1.0, 2.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e4, 1e4), st.floats(1e-6, 1e4), st.integers(1, 40)),
                min_size=1, max_size=8),
       st.sampled_from([16, 64, 2048]), st.integers(0, 2**31), st.sampled_from(HIST))
def test_rebinning_is_exact_property(batches, bins, seed, name):
    """Any batch sequence: counts == one-shot bincount on the final lattice, and the
    chosen range lies inside the data."""
    rng = np.random.default_rng(seed)
    o = make_observer(name, bins=bins)
    data = [(rng.standard_normal(n) * s + m).astype(np.float32) for m, s, n in batches]
    for d in data:
        o.update(d)
    x = np.concatenate(data)
    idx = np.floor(x * o.inv_width).astype(np.int64) - o.origin
    assert 0 <= idx.min() and idx.max() < bins
    np.testing.assert_array_equal(o.counts, np.bincount(idx, minlength=bins))
    lo, hi = o.range()
    assert x.min() <= lo <= hi <= x.max()


@pytest.mark.parametrize("bits,symmetric", [(8, True), (4, True), (8, False)])
def test_mse_weight_clip_pruning_keeps_the_full_grid_result(rng, bits, symmetric):
    """Candidates are pruned by a lower bound of their error; the chosen ratio is the one
    the plain grid search over every candidate picks."""
    from npukit.quant.observers.weight_clip import _quant_error
    w = (rng.standard_normal((24, 300)) * rng.uniform(0.01, 1, (24, 1))).astype(np.float32)
    w[3, 7] = 25.0                                   # an outlier channel, clipping pays
    lo, hi = np.minimum(w.min(1), 0.0), np.maximum(w.max(1), 0.0)
    best_err, best = np.full(24, np.inf), np.ones(24)
    for r in np.linspace(1.0, 0.3, 100):
        err = _quant_error(w, r * lo, r * hi, 1 << bits, symmetric)
        better = err < best_err
        best_err, best = np.where(better, err, best_err), np.where(better, r, best)
    got = mse_weight_clip(w, axis=0, bits=bits, symmetric=symmetric)
    np.testing.assert_array_equal(got.ratio, best)
    if bits == 4:
        assert np.any(got.ratio < 1.0)                 # clipping was chosen somewhere
