"""A tiny shape segmenter (background / square / circle / triangle per pixel) in
float and int8: mean IoU against the true masks, and int8 against float.

    python examples/segmentation/run.py [--images 24] [--save out/segmentation]

The model (trained by train.py beside this file) outputs logits at a quarter of
the input resolution; ``npukit.postprocess.segmentation.segment`` resizes them to
the image (bilinear) and takes the arg-max.  No torch needed.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from npukit.api import load
from npukit.postprocess.segmentation import mean_iou, segment
from npukit.quant.quantizer import quantize
from npukit.sim import FloatExecutor

DATA = Path(__file__).resolve().parent / "data"
META = json.loads((DATA / "shapes_seg.json").read_text())
CLASSES: list[str] = META["classes"]


def to_nchw(images: np.ndarray) -> np.ndarray:
    return ((images.astype(np.float32) - META["mean"]) / META["std"]).transpose(0, 3, 1, 2)


@dataclass
class Scores:
    float_miou: float          # float model vs truth
    int8_miou: float           # int8 model vs truth
    agreement_miou: float      # int8 vs float, float taken as truth
    per_class_float: np.ndarray
    masks_float: np.ndarray
    masks_int8: np.ndarray


def evaluate(n_images: int | None = None, n_calib: int | None = None) -> Scores:
    test = np.load(DATA / "test.npz")
    images, truth = test["images"][:n_images], test["masks"][:n_images]
    calib = to_nchw(np.load(DATA / "calib.npz")["images"][:n_calib])
    graph = load(DATA / "shapes_seg.onnx").graph
    qm = quantize(graph, [{"image": x[None]} for x in calib], show_progress=False)
    fx = FloatExecutor(qm.float_graph)
    size = images.shape[1:3]
    mf, mq = [], []
    for x in to_nchw(images):
        mf.append(segment(fx.run({"image": x[None]})["logits"], size))
        mq.append(segment(qm.run({"image": x[None]})["logits"], size))
    mf_a, mq_a = np.stack(mf), np.stack(mq)
    n = len(CLASSES)
    fm, per = mean_iou(mf_a, truth, n)
    return Scores(fm, mean_iou(mq_a, truth, n)[0], mean_iou(mq_a, mf_a, n)[0], per, mf_a, mq_a)


def save_overlays(images: np.ndarray, scores: Scores, out: Path) -> None:
    from PIL import Image
    palette = np.array([[0, 0, 0], [230, 60, 60], [60, 200, 60], [70, 110, 240]], np.uint8)
    out.mkdir(parents=True, exist_ok=True)
    for k, img in enumerate(images):
        row = np.concatenate([img, palette[scores.masks_float[k]],
                              palette[scores.masks_int8[k]]], 1)
        Image.fromarray(row).resize((row.shape[1] * 3, row.shape[0] * 3), Image.NEAREST
                                    ).save(out / f"seg_{k:02d}.png")


def main(argv: list[str] | None = None) -> Scores:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=None, help="test images (default all)")
    ap.add_argument("--save", type=Path, help="write image | float | int8 mask PNGs here")
    ap.add_argument("--calib", type=int, default=None, help="calibration images (default all)")
    args = ap.parse_args(argv)
    s = evaluate(args.images, args.calib)
    print(f"classes: {', '.join(CLASSES)}")
    print("per-class IoU (float): " + ", ".join(
        f"{c} {v:.3f}" for c, v in zip(CLASSES, s.per_class_float)))
    print(f"mean IoU  float vs truth {s.float_miou:.3f}   int8 vs truth {s.int8_miou:.3f}   "
          f"int8 vs float {s.agreement_miou:.3f}")
    if args.save:
        save_overlays(np.load(DATA / "test.npz")["images"][:args.images], s, args.save)
        print(f"overlays in {args.save}/")
    return s


if __name__ == "__main__":
    main()
