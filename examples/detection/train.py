"""Train the detection example's tiny anchor-free (YOLOv8/FCOS-like) shape detector.

Seeded and reproducible; needs torch (``pip install -e '.[torch]'``), takes a few
minutes on two CPU cores.  Writes ``data/shapes_det.onnx``, ``data/calib.npz``
(calibration images) and ``data/test.npz`` (held-out images with their boxes)::

    python examples/detection/train.py

The model sees 64×64 RGB, (x − 128) / 64, and outputs at stride 8 (an 8×8 grid):
``boxes`` [1, 4, 8, 8] — distances (left, top, right, bottom) from each cell centre
to the box edges, in strides — and ``scores`` [1, 3, 8, 8] — class logits.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
from shapes import CLASSES, SIZE, scenes, to_nchw
from torch import nn

DATA = Path(__file__).resolve().parent / "data"
SEED = 20261122
STRIDE = 8
N_TRAIN = 2000


class ShapeDetector(nn.Module):
    def __init__(self, num_classes: int = len(CLASSES)) -> None:
        super().__init__()

        def block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU())

        self.body = nn.Sequential(block(3, 12, 2), block(12, 24, 2), block(24, 24),
                                  block(24, 48, 2), block(48, 48), block(48, 48))
        self.box = nn.Conv2d(48, 4, 1)
        self.cls = nn.Conv2d(48, num_classes, 1)
        nn.init.constant_(self.cls.bias, -3.0)     # start from "nothing here"
        nn.init.constant_(self.box.bias, 1.5)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.body(x)
        return self.box(f), self.cls(f)


def targets(boxes: np.ndarray, labels: np.ndarray, grid: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(class one-hot [C, g, g], ltrb in strides [4, g, g], positive mask [g, g]):
    a cell is positive for a box when its centre lies in the box's central half, or
    when it holds the box centre; smaller boxes win shared cells."""
    cls = np.zeros((len(CLASSES), grid, grid), np.float32)
    ltrb = np.zeros((4, grid, grid), np.float32)
    pos = np.zeros((grid, grid), bool)
    centres = (np.arange(grid) + 0.5) * STRIDE
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    for k in np.argsort(-area):
        x0, y0, x1, y1 = boxes[k]
        cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 4, (y1 - y0) / 4
        inside = ((np.abs(centres[None, :] - cx) <= hw) & (np.abs(centres[:, None] - cy) <= hh))
        inside[min(int(cy // STRIDE), grid - 1), min(int(cx // STRIDE), grid - 1)] = True
        gy, gx = np.nonzero(inside)
        cls[:, gy, gx] = 0
        cls[labels[k], gy, gx] = 1
        ltrb[:, gy, gx] = np.stack([centres[gx] - x0, centres[gy] - y0,
                                    x1 - centres[gx], y1 - centres[gy]]) / STRIDE
        pos[gy, gx] = True
    return cls, ltrb, pos


def giou_loss(pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """1 − GIoU of ltrb distance boxes sharing the same centre, [N, 4]."""
    pl, pt, pr, pb = pred.unbind(1)
    tl, tt, tr, tb = true.unbind(1)
    inter = (torch.min(pl, tl) + torch.min(pr, tr)).clamp(min=0) * \
            (torch.min(pt, tt) + torch.min(pb, tb)).clamp(min=0)
    union = (pl + pr).clamp(min=0) * (pt + pb).clamp(min=0) + (tl + tr) * (tt + tb) - inter
    hull = (torch.max(pl, tl) + torch.max(pr, tr)) * (torch.max(pt, tt) + torch.max(pb, tb))
    iou = inter / union.clamp(min=1e-6)
    return (1 - iou + (hull - union) / hull.clamp(min=1e-6)).mean()


def batches(data: list, rng: np.random.Generator, size: int):
    order = rng.permutation(len(data))
    grid = SIZE // STRIDE
    for k in range(0, len(order) - size + 1, size):
        chunk = [data[i] for i in order[k:k + size]]
        t = [targets(b, lab, grid) for _, b, lab, _ in chunk]
        yield (torch.from_numpy(to_nchw(np.stack([c[0] for c in chunk]))),
               torch.from_numpy(np.stack([x[0] for x in t])),
               torch.from_numpy(np.stack([x[1] for x in t])),
               torch.from_numpy(np.stack([x[2] for x in t])))


def main() -> None:
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    rng = np.random.default_rng(SEED)
    train = scenes(N_TRAIN, SEED)
    model = ShapeDetector()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    epochs = 12
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=epochs * (N_TRAIN // 32))
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        for x, cls_t, ltrb_t, pos in batches(train, rng, 32):
            box, cls = model(x)
            npos = max(int(pos.sum()), 1)
            l_cls = nn.functional.binary_cross_entropy_with_logits(
                cls, cls_t, reduction="sum") / npos
            p = box.permute(0, 2, 3, 1)[pos]
            t = ltrb_t.permute(0, 2, 3, 1)[pos]
            loss = l_cls + giou_loss(p, t) + nn.functional.l1_loss(p, t)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print(f"epoch {epoch + 1:2d}  loss {loss.item():.3f}  {time.time() - t0:.0f} s", flush=True)
    export(model)


def export(model: nn.Module) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    model.eval()
    torch.onnx.export(model, (torch.zeros(1, 3, SIZE, SIZE),), str(DATA / "shapes_det.onnx"),
                      input_names=["image"], output_names=["boxes", "scores"],
                      opset_version=17, dynamo=False)
    calib = scenes(32, SEED + 1)
    np.savez_compressed(DATA / "calib.npz", images=np.stack([s[0] for s in calib]))
    test = scenes(24, SEED + 2)
    nbox = np.array([len(s[1]) for s in test])
    np.savez_compressed(DATA / "test.npz", images=np.stack([s[0] for s in test]),
                        boxes=np.concatenate([s[1] for s in test]),
                        labels=np.concatenate([s[2] for s in test]), counts=nbox)
    meta = {"seed": SEED, "train": N_TRAIN, "calib": 32, "test": 24, "stride": STRIDE,
            "classes": list(CLASSES), "input": [1, 3, SIZE, SIZE], "mean": 128.0, "std": 64.0}
    (DATA / "shapes_det.json").write_text(json.dumps(meta, indent=2) + "\n")


if __name__ == "__main__":
    main()
