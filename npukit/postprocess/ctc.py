"""CTC greedy (best-path) decoding: arg-max per frame, merge repeats, drop blanks.

A repeated symbol survives only when a blank separates its two runs
(``a a _ a`` → ``a a``), exactly as CTC's collapse rule says.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from npukit.errors import InputError


def collapse(path: Sequence[int], blank: int = 0) -> list[int]:
    """Merge runs of the same symbol, then remove blanks."""
    out: list[int] = []
    prev = None
    for s in path:
        s = int(s)
        if s != prev and s != blank:
            out.append(s)
        prev = s
    return out


def greedy_decode(logits: np.ndarray, blank: int = 0, *, time_major: bool = True
                  ) -> list[list[int]]:
    """Best-path decoding of CTC outputs.

    ``logits`` (or log-probabilities / probabilities: only the arg-max matters) is
    [T, C], [T, N, C] when ``time_major`` (the ONNX / PyTorch layout) or [N, T, C]
    otherwise.  Returns one symbol list per sequence; ties go to the lower index."""
    x = np.asarray(logits)
    if x.ndim == 2:
        x = x[:, None] if time_major else x[None]
    if x.ndim != 3:
        raise InputError(f"CTC logits must be [T, C] or 3-D, got shape {np.shape(logits)}")
    if not 0 <= blank < x.shape[-1]:
        raise InputError(f"CTC blank index {blank} outside {x.shape[-1]} classes")
    best = x.argmax(-1)
    if time_major:
        best = best.T
    return [collapse(row, blank) for row in best]


def to_text(symbols: Sequence[int], alphabet: Sequence[str] | str, blank: int = 0) -> str:
    """Symbols → string: ``alphabet[i]`` for each symbol; ``alphabet`` includes the
    blank at index ``blank`` (its entry is never used)."""
    if any(s == blank or not 0 <= s < len(alphabet) for s in symbols):
        raise InputError(f"symbol outside the alphabet of {len(alphabet)} (or the blank)")
    return "".join(alphabet[s] for s in symbols)
