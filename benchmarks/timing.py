"""The one timing rule the benchmarks share: warm up once, then the median of N runs."""

from __future__ import annotations

import time
from typing import Callable


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return 1000 * sorted(ts)[len(ts) // 2]
