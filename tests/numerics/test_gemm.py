import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npukit.errors import ShapeError
from npukit.numerics.gemm import F32_EXACT, int_matmul, int_matmul_ref, plan_chunks

from ._hyp import FEW

DTYPES = ["int8", "uint8", "int16", "uint16"]
EIGHT = ["int8", "uint8"]


def _rand(rng: np.random.Generator, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, size=shape, dtype=dtype)


def test_float32_sum_limit_is_real() -> None:
    """The bound the chunking rests on: 2**24 is exact in float32, 2**24 + 1 is not."""
    assert float(np.float32(F32_EXACT)) == F32_EXACT
    assert float(np.float32(F32_EXACT + 1)) != F32_EXACT + 1


def test_plan_chunks() -> None:
    assert plan_chunks(128 * 128, 4096) == (np.float32, 1024)
    assert plan_chunks(128 * 128, 100) == (np.float32, 100)
    assert plan_chunks(127 * 127, 4096) == (np.float32, 2**24 // (127 * 127))
    assert plan_chunks(128 * 8, 100000) == (np.float32, 16384)  # int4 weights
    assert plan_chunks(2**15 * 2**15, 4096) == (np.float64, 4096)
    assert plan_chunks(0, 7) == (np.float32, 7)
    with pytest.raises(OverflowError):
        plan_chunks(2**54, 3)


@pytest.mark.parametrize("k", [1, 1023, 1024, 1025, 2047, 2048, 2049, 3073])
@pytest.mark.parametrize("value_a,value_b,dt_a,dt_b", [
    (-128, -128, "int8", "int8"),
    (127, -128, "int8", "int8"),
    (127, 127, "int8", "int8"),
    (255, -128, "uint8", "int8"),
    (255, 255, "uint8", "uint8"),
    (0, 255, "uint8", "uint8"),
])
def test_extreme_values_around_chunk_boundaries(k: int, value_a: int, value_b: int,
                                                dt_a: str, dt_b: str) -> None:
    a = np.full((3, k), value_a, dt_a)
    b = np.full((k, 2), value_b, dt_b)
    for za, zb in [(0, 0), (-128 if dt_a == "int8" else 255, 127 if dt_b == "int8" else 0)]:
        got = int_matmul(a, b, za, zb)
        assert got.dtype == np.int32
        assert (got == int_matmul_ref(a, b, za, zb)).all()
        assert int(got[0, 0]) == k * (value_a - za) * (value_b - zb)


def test_float32_without_chunking_would_be_wrong() -> None:
    """Sanity: a K that overflows 2**24 is inexact on float32 BLAS in one piece."""
    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, (4, 4096)).astype(np.int8)
    a[:, :2048] = -128
    b = np.full((4096, 4), -128, np.int8)
    b[2048:] = rng.integers(-128, 128, (2048, 4))
    one_piece = np.matmul(a.astype(np.float32), b.astype(np.float32)).astype(np.int64)
    exact = int_matmul_ref(a, b)
    assert (int_matmul(a, b) == exact).all()
    assert (one_piece != exact).any()


@FEW
@given(st.sampled_from(DTYPES), st.sampled_from(DTYPES), st.integers(1, 9), st.integers(0, 2600),
       st.integers(1, 9), st.integers(0, 2**32 - 1), st.booleans())
def test_fast_equals_reference(dt_a: str, dt_b: str, m: int, k: int, n: int, seed: int,
                               per_column_zp: bool) -> None:
    rng = np.random.default_rng(seed)
    a, b = _rand(rng, dt_a, (m, k)), _rand(rng, dt_b, (k, n))
    ia, ib = np.iinfo(dt_a), np.iinfo(dt_b)
    za = int(rng.integers(ia.min, ia.max + 1))
    zb = rng.integers(ib.min, ib.max + 1, size=n) if per_column_zp else int(
        rng.integers(ib.min, ib.max + 1))
    got = int_matmul(a, b, za, zb)
    want = int_matmul_ref(a, b, za, zb)
    assert got.shape == want.shape
    assert got.dtype == (np.int32 if dt_a in EIGHT and dt_b in EIGHT else np.int64)
    assert (got == want).all()


@FEW
@given(st.sampled_from(EIGHT), st.sampled_from(EIGHT), st.integers(0, 2**32 - 1),
       st.sampled_from([(2, 1), (1, 3), (4, 4)]))
def test_batched_broadcast(dt_a: str, dt_b: str, seed: int, batch: tuple[int, int]) -> None:
    rng = np.random.default_rng(seed)
    a = _rand(rng, dt_a, (batch[0], 5, 1100))
    b = _rand(rng, dt_b, (batch[1], 1100, 3))
    za, zb = int(rng.integers(-128, 128) if dt_a == "int8" else rng.integers(0, 256)), 3
    assert (int_matmul(a, b, za, zb) == int_matmul_ref(a, b, za, zb)).all()


def test_int4_weights_single_chunk() -> None:
    rng = np.random.default_rng(1)
    a = _rand(rng, "int8", (8, 5000))
    w = rng.integers(-8, 8, size=(5000, 6)).astype(np.int8)
    assert (int_matmul(a, w, 5, 0) == int_matmul_ref(a, w, 5, 0)).all()


def test_empty_k_and_shapes() -> None:
    a = np.zeros((3, 0), np.int8)
    b = np.zeros((0, 2), np.int8)
    assert int_matmul(a, b, 4, 5).tolist() == [[0, 0]] * 3
    with pytest.raises(ShapeError):
        int_matmul(np.zeros((3, 4), np.int8), np.zeros((5, 2), np.int8))
    with pytest.raises(ShapeError):
        int_matmul(np.zeros(4, np.int8), np.zeros((4, 2), np.int8))
    with pytest.raises(TypeError):
        int_matmul(np.zeros((3, 4), np.float32), np.zeros((4, 2), np.int8))
    with pytest.raises(TypeError):
        int_matmul(np.zeros((3, 4), np.int32), np.zeros((4, 2), np.int8))


def test_int32_overflow_is_reported() -> None:
    a = np.full((1, 70000), 255, np.uint8)
    b = np.full((70000, 1), 255, np.uint8)
    with pytest.raises(OverflowError):
        int_matmul(a, b, 0, 0)


@pytest.mark.parametrize("dt_a,za,zb", [("int8", 5, 3), ("uint8", 7, -2)])
def test_very_long_k_sums_fall_back_to_integers(dt_a: str, za: int, zb: int) -> None:
    """K * 128 > 2**24: row/column sums cannot use float32 and must stay exact."""
    rng = np.random.default_rng(2)
    k = 140_000
    a = _rand(rng, dt_a, (2, k))
    b = _rand(rng, "int8", (k, 2))
    assert (int_matmul(a, b, za, zb) == int_matmul_ref(a, b, za, zb)).all()
