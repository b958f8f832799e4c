"""What both executors share: free each value after its last reader, bind outputs."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np


def free_after(step_inputs: Sequence[Iterable[str]], keep: set[str]) -> list[list[str]]:
    """For each step, the values whose last reader it is (except those in ``keep``)."""
    last: dict[str, int] = {}
    for k, inputs in enumerate(step_inputs):
        for i in inputs:
            if i:
                last[i] = k
    out: list[list[str]] = [[] for _ in step_inputs]
    for name, k in last.items():
        if name not in keep:
            out[k].append(name)
    return out


def bind(env: dict[str, np.ndarray], names: Sequence[str], arrays: Sequence[np.ndarray],
         kept: set[str], extra: dict[str, np.ndarray]) -> None:
    """Store a step's outputs; copy those the caller asked to keep into ``extra``."""
    for name, arr in zip(names, arrays):
        if name:
            env[name] = arr
            if name in kept:
                extra[name] = arr
