"""How fast is the exact integer GEMM on float BLAS, against NumPy's integer matmul?

    python benchmarks/bench_int_gemm.py [--repeat 5] [--quick]

On a shared machine run it with ``OMP_NUM_THREADS=1``: threaded BLAS under
contention makes the medians meaningless (the JSON records the setting).

For GEMM shapes taken from real layers (im2col convolutions of a ResNet-ish
backbone, a classifier head, a transformer projection) it times, as medians:

* ``fast_ms``: ``npukit.numerics.int_matmul`` (exact, zero points applied);
* ``int32_ms``: the peer, ``np.matmul`` on int32 operands with the zero
  points already subtracted (what a naive exact kernel does);
* ``float32_ms``: plain float32 ``np.matmul`` of the same operands, the speed
  ceiling (not exact in general);

and checks that the fast result equals the int32 one.  ``speedup`` is
``int32_ms / fast_ms``.  It also times ``requantize`` per rounding mode on a
million per-channel outputs.  Writes benchmarks/results/int_gemm.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from npukit.numerics import RoundingMode, int_matmul, quantize_multiplier, requantize

RESULTS = Path(__file__).parent / "results"

# (name, M, K, N, dtype a, dtype b)
CASES = [
    ("conv3x3 56x56x64 int8", 3136, 576, 64, "int8", "int8"),
    ("conv3x3 28x28x128 int8", 784, 1152, 128, "int8", "int8"),
    ("conv3x3 14x14x256 int8", 196, 2304, 256, "int8", "int8"),
    ("conv3x3 7x7x512 int8", 49, 4608, 512, "int8", "int8"),
    ("conv3x3 28x28x128 uint8 x int8", 784, 1152, 128, "uint8", "int8"),
    ("conv3x3 28x28x128 uint8 x uint8", 784, 1152, 128, "uint8", "uint8"),
    ("fc 1x1280 -> 1000 int8", 1, 1280, 1000, "int8", "int8"),
    ("proj 197x768 -> 768 int8", 197, 768, 768, "int8", "int8"),
    ("conv3x3 28x28x128 int16 x int8", 784, 1152, 128, "int16", "int8"),
    ("proj 197x768 -> 768 int16", 197, 768, 768, "int16", "int16"),
]


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return round(1000 * sorted(ts)[len(ts) // 2], 3)


def _operand(rng: np.random.Generator, dtype: str, shape: tuple[int, int]) -> np.ndarray:
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, size=shape, dtype=dtype)


def _measure(case: tuple, repeat: int) -> dict[str, object]:
    name, m, k, n, dt_a, dt_b = case
    rng = np.random.default_rng(0)
    a, b = _operand(rng, dt_a, (m, k)), _operand(rng, dt_b, (k, n))
    za = 3 if dt_a.startswith("int") else 128
    zb = 0 if dt_b.startswith("int") else 120
    a32 = a.astype(np.int32) - za
    b32 = b.astype(np.int32) - zb
    af, bf = a.astype(np.float32), b.astype(np.float32)
    fast = int_matmul(a, b, za, zb)
    exact = np.matmul(a32.astype(np.int64), b32.astype(np.int64))
    if not (fast == exact).all():
        raise AssertionError(f"{name}: fast result differs from the exact one")
    row: dict[str, object] = {"case": name, "M": m, "K": k, "N": n, "a": dt_a, "b": dt_b,
                              "zero_points": [za, zb]}
    row["fast_ms"] = _median_ms(lambda: int_matmul(a, b, za, zb), repeat)
    row["int32_ms"] = _median_ms(lambda: np.matmul(a32, b32), max(1, repeat // 2))
    row["float32_ms"] = _median_ms(lambda: np.matmul(af, bf), repeat)
    row["speedup"] = round(float(row["int32_ms"]) / float(row["fast_ms"]), 1)
    row["vs_float32"] = round(float(row["fast_ms"]) / float(row["float32_ms"]), 2)
    row["gmacs_fast"] = round(m * k * n / (float(row["fast_ms"]) * 1e6), 2)
    return row


def _requant_rows(repeat: int) -> list[dict[str, object]]:
    """Requantization after the GEMM: ms per million int32 outputs, per channel,
    beside a float64 ``rint(acc * m)`` (fast but not exact: the speed peer)."""
    rng = np.random.default_rng(0)
    acc = rng.integers(-(2**20), 2**20, (1, 64, 128, 128)).astype(np.int32)
    real = rng.uniform(1e-4, 1e-2, 64)
    mult, shift = quantize_multiplier(real)
    real_b = real.reshape(1, 64, 1, 1)
    float_ms = _median_ms(lambda: np.clip(np.rint(acc * real_b) - 3, -128, 127)
                          .astype(np.int8), repeat)
    rows = []
    for mode in RoundingMode:
        ms = _median_ms(lambda m=mode: requantize(acc, mult, shift, -3, "int8", m, axis=1),
                        repeat)
        rows.append({"mode": mode.value, "outputs": int(acc.size), "requantize_ms": ms,
                     "float64_rint_ms": float_ms})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="first three cases, 3 repeats")
    args = ap.parse_args(argv)
    cases = CASES[:3] if args.quick else CASES
    repeat = 3 if args.quick else args.repeat
    rows = [_measure(c, repeat) for c in cases]
    requant = _requant_rows(repeat)
    for r in requant:
        print(f"requantize {r['mode']:<20} {r['requantize_ms']:>7.2f} ms / 1M outputs "
              f"(float64 rint {r['float64_rint_ms']:.2f} ms)")
    for r in rows:
        print(f"{r['case']:<34} fast {r['fast_ms']:>9.2f} ms  int32 {r['int32_ms']:>9.2f} ms  "
              f"x{r['speedup']:<6} float32 {r['float32_ms']:>8.2f} ms")
    out = {
        "benchmark": "int_gemm",
        "note": "medians; fast = npukit.numerics.int_matmul (exact), int32 = np.matmul on "
                "centred int32, float32 = np.matmul float32 (speed ceiling, not exact)",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "repeat": repeat,
        "rows": rows,
        "requantize": requant,
    }
    RESULTS.mkdir(exist_ok=True)
    if not args.quick:
        (RESULTS / "int_gemm.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
