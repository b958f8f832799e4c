"""EfficientNet-Lite0 (real ImageNet weights) classifies scikit-image photos in float
and in int8 (npukit's bit-exact simulation), top-5 side by side.

    python examples/classification/run.py [--calib 64] [--photos chelsea.png coffee.png]

Needs the EfficientNet extras once, to export the model (see
examples/efficientnet_lite0/export.py); after that only npukit and scikit-image.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "efficientnet_lite0")]

from export import MEAN, STD, ensure  # noqa: E402
from photos import photo_crops, to_nchw  # noqa: E402

from npukit.api import load  # noqa: E402
from npukit.postprocess import Prediction, load_labels, top_k  # noqa: E402
from npukit.quant.config import QuantConfig  # noqa: E402
from npukit.quant.quantizer import quantize  # noqa: E402

LABELS = load_labels((HERE / "imagenet_classes.txt").read_text())
#: skimage photo → what a person would call it (classes a good top-5 should contain)
PHOTOS = {"chelsea.png": "cat", "coffee.png": "coffee cup", "astronaut.png": "astronaut",
          "rocket.jpg": "rocket", "motorcycle_left.png": "motorcycle",
          "motorcycle_right.png": "motorcycle"}


@dataclass
class Result:
    photo: str
    float_top5: list[Prediction]
    int8_top5: list[Prediction]


def centre_crop(path: Path, size: int = 224) -> np.ndarray:
    """The largest centred square, resized to ``size`` (bilinear): uint8 HWC."""
    from PIL import Image
    img = Image.open(path).convert("RGB")
    w, h = img.size
    s = min(w, h)
    box = ((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)
    return np.asarray(img.crop(box).resize((size, size), Image.BILINEAR))


def classify(photos: list[str] | None = None, calib: int = 64, bias_correction: bool = True
             ) -> list[Result]:
    """Quantize with ``calib`` random photo crops (npukit's default int8; bias
    correction can be switched off for speed), then classify each photo."""
    import skimage.data
    root = Path(skimage.data.__file__).parent
    graph = load(ensure()).graph
    x_cal = to_nchw(photo_crops(calib, seed=1), MEAN, STD)
    qm = quantize(graph, [{"image": x[None]} for x in x_cal],
                  QuantConfig(bias_correction=bias_correction), show_progress=False)
    from npukit.sim import FloatExecutor
    fx = FloatExecutor(qm.float_graph)
    out = []
    for name in photos or list(PHOTOS):
        x = to_nchw(centre_crop(root / name)[None], MEAN, STD)
        ref = fx.run({"image": x})["logits"][0]
        q = qm.run({"image": x})["logits"][0]
        out.append(Result(name, top_k(ref, 5, LABELS, apply_softmax=True),
                          top_k(q, 5, LABELS, apply_softmax=True)))
    return out


def show(results: list[Result]) -> None:
    for r in results:
        print(f"\n{r.photo} ({PHOTOS.get(r.photo, '?')})")
        print(f"  {'float':<34} {'int8 (npukit)':<34}")
        for f, q in zip(r.float_top5, r.int8_top5):
            print(f"  {f.score:5.1%} {f.label[:27]:<28} {q.score:5.1%} {q.label[:27]:<28}")
    agree = np.mean([r.float_top5[0].index == r.int8_top5[0].index for r in results])
    print(f"\ntop-1 agreement float vs int8: {agree:.0%} of {len(results)} photos")


def main(argv: list[str] | None = None) -> list[Result]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calib", type=int, default=64, help="calibration crops (default 64)")
    ap.add_argument("--photos", nargs="*", help=f"skimage photos (default: {' '.join(PHOTOS)})")
    ap.add_argument("--no-bias-correction", action="store_true",
                    help="skip empirical bias correction (faster quantization)")
    args = ap.parse_args(argv)
    t0 = time.time()
    results = classify(args.photos, calib=args.calib,
                       bias_correction=not args.no_bias_correction)
    show(results)
    print(f"({time.time() - t0:.0f} s)")
    return results


if __name__ == "__main__":
    main()
