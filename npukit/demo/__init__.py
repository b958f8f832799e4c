"""The embedded default model: a small CNN trained on MNIST digits (training/train_mnist.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"
MODEL = DATA / "mnist_cnn.onnx"


@dataclass(frozen=True)
class DigitSet:
    images: np.ndarray   # uint8 [N, 28, 28]
    labels: np.ndarray   # int64 [N]

    def tensors(self, mean: float, std: float) -> np.ndarray:
        """float32 [N, 1, 28, 28], normalised as in training."""
        return ((self.images.astype(np.float32) - mean) / std)[:, None]


def meta() -> dict:
    return json.loads((DATA / "mnist_cnn.json").read_text())


def _load(name: str) -> DigitSet:
    with np.load(DATA / name, allow_pickle=False) as z:
        return DigitSet(z["images"], z["labels"])


def heldout() -> DigitSet:
    return _load("mnist_heldout.npz")


def calibration() -> DigitSet:
    return _load("mnist_calib.npz")
