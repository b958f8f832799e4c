"""Classification heads: a numerically stable softmax and top-k with labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from npukit.errors import InputError


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x − max) / Σ exp(x − max) along ``axis`` (float64 inside, float32 out)."""
    x = np.asarray(logits, np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(np.float32)


@dataclass(frozen=True)
class Prediction:
    index: int
    score: float
    label: str


def top_k_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest values of each row of ``scores`` [..., C], best
    first; ties go to the lower index (a stable order, so outputs are reproducible)."""
    s = np.asarray(scores)
    if s.ndim == 0 or s.shape[-1] == 0:
        raise InputError(f"top-k needs scores with a class axis, got shape {s.shape}")
    k = min(int(k), s.shape[-1])
    if k < 1:
        raise InputError(f"top-k needs k >= 1, got {k}")
    order = np.argsort(-s, axis=-1, kind="stable")
    return order[..., :k]


def top_k(scores: np.ndarray, k: int = 5, labels: Sequence[str] | None = None,
          *, apply_softmax: bool = False) -> list[Prediction]:
    """The ``k`` best classes of one score vector [C] (or [1, C]) with their labels.

    ``apply_softmax`` turns logits into probabilities first; without it the scores
    are reported as given."""
    s = np.asarray(scores, np.float32)
    if s.ndim == 2 and s.shape[0] == 1:
        s = s[0]
    if s.ndim != 1:
        raise InputError(f"top_k takes one score vector [C] or [1, C], got shape {s.shape}",
                         hint="call it per row, or use top_k_indices for a batch")
    if labels is not None and len(labels) != s.shape[0]:
        raise InputError(f"{len(labels)} labels for {s.shape[0]} classes")
    if apply_softmax:
        s = softmax(s)
    idx = top_k_indices(s, k)
    return [Prediction(int(i), float(s[i]), labels[i] if labels is not None else str(int(i)))
            for i in idx]


def load_labels(text: str) -> list[str]:
    """Labels from text with one label per line (blank lines and ``#`` comments skipped)."""
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
