"""Concurrent runs: 8 threads × 200 runs give the single-threaded results, to the bit."""

from __future__ import annotations

import threading

import numpy as np
from compiler.models import demo_inputs, small_inputs

from npukit.runtime import Runtime


def test_eight_threads_two_hundred_runs(small_npk):
    """On the several-op model (≈3 ms a run; the demo CNN takes ≈30 ms on shared CPUs)."""
    xs = small_inputs(8)
    with Runtime(small_npk.path) as rt:
        want = [rt.run({"x": x})["y"] for x in xs]
        errors: list[str] = []
        start = threading.Barrier(8)

        def worker(t: int) -> None:
            start.wait()
            for k in range(200):
                i = (t + k) % len(xs)
                got = rt.run({"x": xs[i]})["y"]
                if not np.array_equal(got, want[i]):
                    errors.append(f"thread {t} run {k}")

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert errors == []


def test_executor_keeps_no_state_between_runs(demo_npk):
    """ProgramExecutor holds only the program, its bound (planned) calls, the free lists
    and whether it runs the reference kernels; plans cache per input dtype / tile shape
    only what is fixed by the record (idempotent, so threads may race to build them)."""
    from npukit.sim.program_executor import ProgramExecutor
    ex = ProgramExecutor(demo_npk.program)
    before = {k: (id(v), len(v) if isinstance(v, list) else None) for k, v in vars(ex).items()}
    ex.run({"image": demo_inputs(1)[0]})
    after = {k: (id(v), len(v) if isinstance(v, list) else None) for k, v in vars(ex).items()}
    assert before == after and set(before) == {"program", "_calls", "_free", "reference"}
