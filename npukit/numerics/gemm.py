"""Exact integer matrix products on float BLAS (docs/numerics.md §7).

``int_matmul`` computes ``sum_k (a - a_zp)(b - b_zp)`` exactly.  A float
product and sum of integers is exact while every partial sum stays within the
float's integer range (2**24 for float32, 2**53 for float64), whatever order
BLAS adds in.  So K is cut into chunks with ``chunk * max|a| * max|b| <= 2**24``
(float32) or ``<= 2**53`` (float64), each chunk runs on BLAS, and the chunk
results are added in int64.  Zero points never enter the BLAS product: they
are applied as exact int64 correction terms.  NumPy's integer matmul (no BLAS)
is ~100x slower and appears only in the reference.
"""

from __future__ import annotations

import numpy as np

from npukit.errors import ShapeError

F32_EXACT = 2**24
F64_EXACT = 2**53
MIN_F32_CHUNK = 256  # below this many K per chunk float64 BLAS is faster than chunking


def int_matmul_ref(a: np.ndarray, b: np.ndarray, a_zp: int = 0,
                   b_zp: np.ndarray | int = 0) -> np.ndarray:
    """Reference: ``(a - a_zp) @ (b - b_zp)`` in int64 (``b_zp`` per column allowed)."""
    a64 = np.asarray(a).astype(np.int64) - int(a_zp)
    b64 = np.asarray(b).astype(np.int64) - np.asarray(b_zp, np.int64)
    return np.matmul(a64, b64)


def _centre(x: np.ndarray) -> int:
    """Offset that moves an unsigned operand to a signed range (uint8 -> -128..127)."""
    if x.dtype.kind == "u":
        return 1 << (8 * x.dtype.itemsize - 1)
    return 0


def _max_abs(x: np.ndarray, offset: int) -> int:
    if x.size == 0:
        return 0
    return max(abs(int(x.max()) - offset), abs(int(x.min()) - offset))


def _exact_sum(xf: np.ndarray, x: np.ndarray, offset: int, bound: int,
               axis: int) -> np.ndarray:
    """int64 sum of the centred operand along ``axis``: on the float copy when
    every partial sum stays exact (fast), else on the integers."""
    limit = F32_EXACT if xf.dtype == np.float32 else F64_EXACT
    if x.shape[axis] * bound <= limit:
        return xf.sum(axis=axis).astype(np.int64)
    return x.sum(axis=axis, dtype=np.int64) - x.shape[axis] * offset


def plan_chunks(bound: int, k: int) -> tuple[np.dtype, int]:
    """``(float dtype, K per chunk)`` for products bounded by ``bound`` in magnitude."""
    if bound == 0:
        return np.dtype(np.float32), max(k, 1)
    if F32_EXACT // bound >= min(k, MIN_F32_CHUNK):
        return np.dtype(np.float32), max(min(k, F32_EXACT // bound), 1)
    if F64_EXACT // bound < 1:
        raise OverflowError(f"operand products up to {bound} are too wide for exact BLAS")
    return np.dtype(np.float64), max(min(k, F64_EXACT // bound), 1)


def int_matmul(a_q: np.ndarray, b_q: np.ndarray, a_zp: int = 0,
               b_zp: np.ndarray | int = 0) -> np.ndarray:
    """Exact ``(a_q - a_zp) @ (b_q - b_zp)`` on float BLAS; equal to ``int_matmul_ref``.

    ``a_q`` is ``(..., M, K)`` and ``b_q`` ``(..., K, N)`` (batch dims broadcast as
    in ``np.matmul``), integer arrays up to 16 bits; ``b_zp`` may be per column
    ``(N,)``.  Unsigned operands are first recentred by half their range, so
    every operand is at most ``2**(bits-1)`` in magnitude.  Returns int32 when
    both operands are 8-bit or narrower (raising if the result overflows), else
    int64.
    """
    a, b = np.asarray(a_q), np.asarray(b_q)
    for name, x in (("a", a), ("b", b)):
        if x.dtype.kind not in "iu" or x.dtype.itemsize > 2:
            raise TypeError(f"int_matmul operand {name} must be an integer type of at "
                            f"most 16 bits, got {x.dtype}")
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
        raise ShapeError(f"int_matmul shapes {a.shape} and {b.shape} do not chain")
    k = a.shape[-1]
    ca, cb = _centre(a), _centre(b)
    amax, bmax = _max_abs(a, ca), _max_abs(b, cb)
    ftype, chunk = plan_chunks(amax * bmax, k)
    af = a.astype(ftype)
    bf = b.astype(ftype)
    if ca:
        af -= ca
    if cb:
        bf -= cb
    raw = None
    for k0 in range(0, max(k, 1), chunk):
        part = np.matmul(af[..., k0:k0 + chunk], bf[..., k0:k0 + chunk, :]).astype(np.int64)
        raw = part if raw is None else raw + part
    # sum (a'-za')(b'-zb') = sum a'b' - za' sum_k b' - zb' sum_k a' + K za' zb'
    za = int(a_zp) - ca
    zb = np.asarray(b_zp, np.int64) - cb
    out = raw + k * za * zb
    if za:
        out -= za * _exact_sum(bf, b, cb, bmax, axis=-2)[..., None, :]
    if np.any(zb):
        out -= zb * _exact_sum(af, a, ca, amax, axis=-1)[..., :, None]
    if a.dtype.itemsize == 1 and b.dtype.itemsize == 1:
        info = np.iinfo(np.int32)
        if out.size and (out.max() > info.max or out.min() < info.min):
            raise OverflowError("int_matmul: result exceeds the int32 accumulator")
        return out.astype(np.int32)
    return out


def centre_of(dtype: np.dtype) -> int:
    """The offset ``int_matmul`` subtracts from unsigned codes (uint8 → 128)."""
    d = np.dtype(dtype)
    return 1 << (8 * d.itemsize - 1) if d.kind == "u" else 0


class GemmPlan:
    """Exact ``W @ X`` for constant integer weights ``W`` (rows, K), planned once.

    ``X`` holds integer codes of ``x_dtype``, centred by ``centre_of`` (so
    ``|x| ≤ 2^(bits−1)``).  A partial sum of row ``r`` never exceeds
    ``‖W_r‖₁ · max|x|``: when that is at most 2^24 for every row, one float32
    GEMM is exact in any summation order; otherwise K is cut into chunks that
    each keep that bound (their float32 results added in float64), or — when
    that would take many chunks — the GEMM runs in float64 (exact below 2^53).
    ``acc_bound`` is the bound on ``|acc|`` that requantization plans with.
    """

    def __init__(self, w: np.ndarray, x_dtype: np.dtype) -> None:
        d = np.dtype(x_dtype)
        self.centre = centre_of(d)
        xmax = 1 << (8 * d.itemsize - 1)
        self.rows, self.k = w.shape
        absw = np.abs(w.astype(np.int64))
        self.acc_bound = float(absw.sum(axis=1).max() * xmax) if w.size else 0.0
        if self.acc_bound >= F64_EXACT:
            raise OverflowError(f"GEMM partial sums up to {self.acc_bound:.3g} are too "
                                "wide for exact float64 BLAS")
        self.chunks = _chunks(absw, F32_EXACT // xmax) if self.acc_bound > F32_EXACT \
            else [(0, self.k)]
        if len(self.chunks) > max(1, self.k // MIN_F32_CHUNK):
            self.operand_dtype = self.acc_dtype = np.dtype(np.float64)
            self.chunks = [(0, self.k)]
        else:
            self.operand_dtype = np.dtype(np.float32)
            self.acc_dtype = np.dtype(np.float32 if len(self.chunks) == 1 else np.float64)
        self.w = [w[:, k0:k1].astype(self.operand_dtype) for k0, k1 in self.chunks]

    def operand(self, x: np.ndarray) -> np.ndarray:
        """Codes as the float BLAS operand (a new array), centred."""
        xf = x.astype(self.operand_dtype)
        if self.centre:
            xf -= self.centre
        return xf

    def matmul(self, xf: np.ndarray) -> np.ndarray:
        """``W @ xf`` for an operand (K, T) from ``operand``: exact integers, float."""
        if len(self.w) == 1:
            return np.matmul(self.w[0], xf)
        acc = np.zeros((self.rows, xf.shape[-1]), np.float64)
        for (k0, k1), wc in zip(self.chunks, self.w):
            acc += np.matmul(wc, xf[k0:k1])
        return acc


    def rmatmul(self, xf: np.ndarray) -> np.ndarray:
        """``xf @ W.T`` for an operand (..., K): exact integers, float (..., rows)."""
        if len(self.w) == 1:
            return np.matmul(xf, self.w[0].T)
        acc = np.zeros(xf.shape[:-1] + (self.rows,), np.float64)
        for (k0, k1), wc in zip(self.chunks, self.w):
            acc += np.matmul(xf[..., k0:k1], wc.T)
        return acc


def _chunks(absw: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Split K so every row's |w| sum inside a chunk stays ≤ ``limit``."""
    out, k0, run = [], 0, np.zeros(absw.shape[0], np.int64)
    for k in range(absw.shape[1]):
        if np.any(run + absw[:, k] > limit):
            out.append((k0, k))
            k0, run = k, np.zeros_like(run)
        run += absw[:, k]
    out.append((k0, absw.shape[1]))
    return out
