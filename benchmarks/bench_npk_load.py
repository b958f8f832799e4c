"""How long does opening an .npk take, against its size?

    python benchmarks/bench_npk_load.py [--sizes-mb 1,10,30,100] [--repeat 5]

Writes float32 weights split into 64 tensors, then times (medians, warm page
cache, so the figures show CPU cost, not disk speed):

* ``open_ms``: ``read_npk(verify=False)``: header + manifest checksum + mmap;
  expected to stay flat as the file grows;
* ``open_touch_ms``: the same, plus creating a view of every tensor;
* ``open_verify_ms``: ``read_npk(verify=True)``: SHA-256 over every byte;
* ``open_encrypted_ms``: an AES-256-GCM encrypted copy, decrypted into memory;
* ``safetensors_load_ms``: the peer, ``safetensors.numpy.load_file`` (reads
  every tensor into memory).

Writes benchmarks/results/npk_load.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from npukit.npk import read_npk, write_npk

RESULTS = Path(__file__).parent / "results"
KEY = bytes(range(32))
TENSORS = 64


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up (and page cache)
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return round(1000 * sorted(ts)[len(ts) // 2], 3)


def _touch(path: Path) -> None:
    npk = read_npk(path, verify=False)
    for name in npk.tensors:
        npk.tensors[name]


def _measure(folder: Path, size_mb: int, repeat: int) -> dict[str, float]:
    n = size_mb * 2**20 // 4
    rng = np.random.default_rng(0)
    weights = rng.standard_normal(n, dtype=np.float32)
    tensors = {f"layer{i:02d}.weights": part for i, part in
               enumerate(np.array_split(weights, TENSORS))}
    manifest = {"target": "generic", "program": {"ops": [f"op{i}" for i in range(TENSORS)]}}
    plain, enc = folder / f"m{size_mb}.npk", folder / f"m{size_mb}.enc.npk"
    t = time.perf_counter()
    write_npk(plain, manifest, tensors, force=True)
    write_ms = 1000 * (time.perf_counter() - t)
    write_npk(enc, manifest, tensors, key=KEY, force=True)
    return {
        "size_mb": size_mb,
        "file_bytes": plain.stat().st_size,
        "tensors": TENSORS,
        "write_ms": round(write_ms, 3),
        "open_ms": _median_ms(lambda: read_npk(plain, verify=False), repeat),
        "open_touch_ms": _median_ms(lambda: _touch(plain), repeat),
        "open_verify_ms": _median_ms(lambda: read_npk(plain), repeat),
        "open_encrypted_ms": _median_ms(lambda: read_npk(enc, key=KEY, verify=False), repeat),
        "safetensors_load_ms": _median_ms(lambda: load_file(plain), repeat),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes-mb", default="1,10,30,100")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes_mb.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [_measure(Path(tmp), mb, args.repeat) for mb in sizes]
    result = {
        "benchmark": "npk_load",
        "note": "medians over --repeat runs, warm page cache; open_ms is read_npk(verify=False)",
        "python": platform.python_version(), "numpy": np.__version__,
        "machine": platform.machine(), "repeat": args.repeat, "rows": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "npk_load.json").write_text(json.dumps(result, indent=2) + "\n")
    cols = [k for k in rows[0] if k.endswith("_ms")]
    sys.stdout.write("size_mb " + " ".join(f"{c:>20}" for c in cols) + "\n")
    for r in rows:
        sys.stdout.write(f"{r['size_mb']:>7} " + " ".join(f"{r[c]:>20}" for c in cols) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
