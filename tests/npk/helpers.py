"""Helpers for the .npk tests: small sample models and a raw-file crafter."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

MANIFEST = {"target": "rk3588", "program": {"ops": ["Conv", "Relu"], "version": 1},
            "io": {"inputs": [{"name": "x", "shape": [1, 3, 8, 8], "dtype": "int8"}]}}


def sample_tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "conv.weights": rng.integers(-128, 128, (4, 3, 3, 3), dtype=np.int8),
        "conv.bias": rng.integers(-1000, 1000, (4,), dtype=np.int32),
        "scale": np.float32(0.125),
        "table": rng.standard_normal((2, 5)).astype(np.float16),
        "mask": np.array([True, False, True]),
        "empty": np.zeros((0, 2), np.float64),
        "卷积.zero_point": np.array([3, -2], np.int16),
    }


def craft(path: Path, header: dict, data: bytes = b"", *, pad: bool = True) -> Path:
    """Write a raw safetensors-shaped file from a header dict and data bytes."""
    text = json.dumps(header).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    path.write_bytes(len(text).to_bytes(8, "little") + text + data)
    return path


def header_of(path: Path) -> tuple[dict, bytes]:
    """(header dict, data bytes) of a plain safetensors file."""
    blob = path.read_bytes()
    n = int.from_bytes(blob[:8], "little")
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def flip_offsets(size: int, must: Iterable[int], k: int = 250) -> list[int]:
    """Offsets to corrupt: ``must`` (structure bytes) plus a seeded sample of the rest.

    ``NPK_FLIP_ALL=1`` in the environment returns every offset (slow, thorough).
    """
    if os.environ.get("NPK_FLIP_ALL"):
        return list(range(size))
    sample = np.random.default_rng(0).choice(size, size=min(k, size), replace=False)
    return sorted({o for o in must if 0 <= o < size} | {int(o) for o in sample})
