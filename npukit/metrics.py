"""Accuracy metrics between a reference (float) tensor and a test (quantized) one.

All work in float64 on flattened inputs whose shapes must match.  Degenerate
inputs follow fixed, documented conventions instead of producing NaN:

* ``cosine_similarity``: equal tensors (both all-zero too) -> exactly 1.0; one
  all-zero -> 0.0 (no shared direction).
* ``snr_db``: no noise -> +inf; noise but an all-zero reference -> -inf.
* ``relative_l2_error``: all-zero reference -> 0.0 if the test is also
  all-zero, else +inf.
* empty tensors: the "identical" value (cosine 1, SNR +inf, errors 0).

NaN or inf in the *inputs* is not a degenerate case but a broken model: every
metric then returns NaN (top-1 counts the row as a disagreement), so it is
never hidden behind a plausible number.
"""

from __future__ import annotations

import math

import numpy as np

from npukit.errors import ShapeError


def _pair(ref: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r, t = np.asarray(ref), np.asarray(test)
    if r.shape != t.shape:
        raise ShapeError(f"cannot compare tensors of shapes {r.shape} and {t.shape}")
    return r.astype(np.float64).ravel(), t.astype(np.float64).ravel()


def _has_nan(*xs: np.ndarray) -> bool:
    """True if any input holds NaN or inf (the metric is then NaN)."""
    return any(not bool(np.isfinite(x).all()) for x in xs)


def _norm(x: np.ndarray) -> float:
    """L2 norm, scaled first so huge values do not overflow the squares."""
    m = float(np.max(np.abs(x))) if x.size else 0.0
    if m == 0.0 or not math.isfinite(m):
        return m
    return m * float(np.sqrt(np.sum(np.square(x / m))))


def cosine_similarity(ref: np.ndarray, test: np.ndarray) -> float:
    """``<r, t> / (|r| |t|)``, clipped to [-1, 1]."""
    r, t = _pair(ref, test)
    if _has_nan(r, t):
        return math.nan
    if np.array_equal(r, t):  # exactly 1.0, not 1 - ulp
        return 1.0
    nr, nt = _norm(r), _norm(t)
    if nr == 0.0 or nt == 0.0:
        return 0.0
    dot = float(np.dot(r / nr, t / nt))
    return min(1.0, max(-1.0, dot))


def snr_db(ref: np.ndarray, test: np.ndarray) -> float:
    """Signal-to-noise ratio ``10 log10(|r|^2 / |r - t|^2)`` in dB."""
    r, t = _pair(ref, test)
    if _has_nan(r, t):
        return math.nan
    signal, noise = _norm(r), _norm(r - t)
    if noise == 0.0:
        return math.inf
    if signal == 0.0:
        return -math.inf
    return 20.0 * math.log10(signal / noise)


def relative_l2_error(ref: np.ndarray, test: np.ndarray) -> float:
    """``|r - t| / |r|``."""
    r, t = _pair(ref, test)
    if _has_nan(r, t):
        return math.nan
    num, den = _norm(r - t), _norm(r)
    if num == 0.0:
        return 0.0
    return math.inf if den == 0.0 else num / den


def euclidean_distance(ref: np.ndarray, test: np.ndarray) -> float:
    """``|r - t|`` (L2 norm of the difference)."""
    r, t = _pair(ref, test)
    return math.nan if _has_nan(r, t) else _norm(r - t)


def max_abs_error(ref: np.ndarray, test: np.ndarray) -> float:
    """``max |r - t|``; 0.0 for empty tensors."""
    r, t = _pair(ref, test)
    if _has_nan(r, t):
        return math.nan
    return float(np.max(np.abs(r - t))) if r.size else 0.0


def top1_agreement(ref_logits: np.ndarray, test_logits: np.ndarray, axis: int = -1) -> float:
    """Fraction of rows whose arg-max class is the same (ties: the first maximum).

    Logits are ``(..., classes)`` along ``axis``; a 1-D input is one row.  A row
    with NaN or inf counts as a disagreement.  No rows -> 1.0.
    """
    r, t = np.asarray(ref_logits), np.asarray(test_logits)
    if r.shape != t.shape:
        raise ShapeError(f"cannot compare logits of shapes {r.shape} and {t.shape}")
    if r.ndim == 0:
        raise ShapeError("top1_agreement needs at least one class axis")
    if r.size == 0:
        return 1.0
    ra, ta = np.moveaxis(r, axis, -1), np.moveaxis(t, axis, -1)
    same = np.argmax(ra, axis=-1) == np.argmax(ta, axis=-1)
    bad = ~np.isfinite(ra).all(axis=-1) | ~np.isfinite(ta).all(axis=-1)
    return float(np.mean(same & ~bad))


def compare(ref: np.ndarray, test: np.ndarray) -> dict[str, float]:
    """All elementwise metrics at once, keyed by name (for per-layer reports)."""
    return {
        "cosine": cosine_similarity(ref, test),
        "snr_db": snr_db(ref, test),
        "relative_l2": relative_l2_error(ref, test),
        "euclidean": euclidean_distance(ref, test),
        "max_abs": max_abs_error(ref, test),
    }
