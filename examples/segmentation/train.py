"""Train the segmentation example's tiny shape segmenter (background / square /
circle / triangle per pixel).

Seeded and reproducible; needs torch (``pip install -e '.[torch]'``).  Scenes come
from ``examples/detection/shapes.py``.  Writes ``data/shapes_seg.onnx``,
``data/calib.npz`` and ``data/test.npz`` (held-out images and true masks)::

    python examples/segmentation/train.py

The model sees 64×64 RGB, (x − 128) / 64, and outputs ``logits`` [1, 4, 16, 16]
(a quarter of the input resolution); ``npukit.postprocess.segmentation.segment``
resizes them to the image and takes the arg-max.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "detection"))
from shapes import CLASSES, SIZE, scenes, to_nchw  # noqa: E402

DATA = HERE / "data"
SEED = 20261123
N_TRAIN = 1500
NUM_CLASSES = 1 + len(CLASSES)


def block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU())


class ShapeSegmenter(nn.Module):
    """Encoder to 1/8, one nearest ×2 upsample with a 1/4 skip, 1×1 classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.down4 = nn.Sequential(block(3, 12, 2), block(12, 24, 2), block(24, 24))
        self.down8 = nn.Sequential(block(24, 48, 2), block(48, 48))
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.skip = nn.Conv2d(24, 48, 1)
        self.head = nn.Sequential(block(48, 24), nn.Conv2d(24, NUM_CLASSES, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f4 = self.down4(x)
        return self.head(self.up(self.down8(f4)) + self.skip(f4))


def quarter(masks: np.ndarray) -> np.ndarray:
    """Training targets at the output resolution: the centre pixel of each 4×4 patch."""
    return masks[:, 2::4, 2::4]


def main() -> None:
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    rng = np.random.default_rng(SEED)
    data = scenes(N_TRAIN, SEED)
    x_all = torch.from_numpy(to_nchw(np.stack([s[0] for s in data])))
    y_all = torch.from_numpy(quarter(np.stack([s[3] for s in data])).astype(np.int64))
    model = ShapeSegmenter()
    epochs, bs = 12, 30
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=epochs * (N_TRAIN // bs))
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        perm = torch.from_numpy(rng.permutation(N_TRAIN))
        for k in range(0, N_TRAIN - bs + 1, bs):
            idx = perm[k:k + bs]
            loss = nn.functional.cross_entropy(model(x_all[idx]), y_all[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print(f"epoch {epoch + 1:2d}  loss {loss.item():.3f}  {time.time() - t0:.0f} s",
              flush=True)
    export(model)


def export(model: nn.Module) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    model.eval()
    torch.onnx.export(model, (torch.zeros(1, 3, SIZE, SIZE),), str(DATA / "shapes_seg.onnx"),
                      input_names=["image"], output_names=["logits"], opset_version=17,
                      dynamo=False)
    calib = scenes(32, SEED + 1)
    np.savez_compressed(DATA / "calib.npz", images=np.stack([s[0] for s in calib]))
    test = scenes(24, SEED + 2)
    np.savez_compressed(DATA / "test.npz", images=np.stack([s[0] for s in test]),
                        masks=np.stack([s[3] for s in test]))
    meta = {"seed": SEED, "train": N_TRAIN, "calib": 32, "test": 24,
            "classes": ["background", *CLASSES], "input": [1, 3, SIZE, SIZE],
            "output": [1, NUM_CLASSES, SIZE // 4, SIZE // 4], "mean": 128.0, "std": 64.0}
    (DATA / "shapes_seg.json").write_text(json.dumps(meta, indent=2) + "\n")


if __name__ == "__main__":
    main()
