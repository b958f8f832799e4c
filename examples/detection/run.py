"""A tiny anchor-free (YOLOv8/FCOS-like) shape detector in float and int8, decoded
with ``npukit.postprocess`` (anchor-free decode + class-aware NMS).

    python examples/detection/run.py [--images 24] [--save out/detection]

Prints, per test image, the true boxes and both models' detections, then recall
and precision against the truth (IoU ≥ 0.5, same class) and how many int8
detections match a float one.  No torch needed: the model (trained by train.py
beside this file) and the test images are committed under data/.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from npukit.api import load
from npukit.postprocess.nms import iou
from npukit.postprocess.yolo import Detections, decode_anchor_free, detect
from npukit.quant.quantizer import quantize
from npukit.sim import FloatExecutor

DATA = Path(__file__).resolve().parent / "data"
META = json.loads((DATA / "shapes_det.json").read_text())
CLASSES: list[str] = META["classes"]
SCORE, IOU_NMS = 0.4, 0.5


def to_nchw(images: np.ndarray) -> np.ndarray:
    return ((images.astype(np.float32) - META["mean"]) / META["std"]).transpose(0, 3, 1, 2)


def decode(outputs: dict[str, np.ndarray], size: int) -> Detections:
    boxes, scores = decode_anchor_free(outputs["boxes"], outputs["scores"], META["stride"])
    return detect(boxes, scores, score_threshold=SCORE, iou_threshold=IOU_NMS,
                  clip_to=(size, size))


def matches(a_boxes: np.ndarray, a_cls: np.ndarray, b_boxes: np.ndarray, b_cls: np.ndarray,
            thr: float = 0.5) -> int:
    """How many of ``a`` find a distinct partner in ``b`` of the same class with
    IoU ≥ ``thr`` (greedy, best IoU first)."""
    m = iou(a_boxes, b_boxes) * (a_cls[:, None] == b_cls[None, :])
    hits = 0
    while m.size and m.max() >= thr:
        i, j = np.unravel_index(m.argmax(), m.shape)
        hits += 1
        m[i, :], m[:, j] = 0, 0
    return hits


@dataclass
class Scores:
    truths: int
    float_dets: int
    int8_dets: int
    float_hits: int            # float detections matching a true box
    int8_hits: int
    agree: int                 # int8 detections matching a float detection
    per_image: list[tuple[np.ndarray, np.ndarray, Detections, Detections]]

    def recall(self, hits: int) -> float:
        return hits / max(self.truths, 1)


def evaluate(n_images: int | None = None, n_calib: int | None = None) -> Scores:
    test = np.load(DATA / "test.npz")
    counts = test["counts"][:n_images]
    starts = np.concatenate([[0], np.cumsum(test["counts"])])
    images = test["images"][:n_images]
    calib = to_nchw(np.load(DATA / "calib.npz")["images"][:n_calib])
    graph = load(DATA / "shapes_det.onnx").graph
    qm = quantize(graph, [{"image": x[None]} for x in calib], show_progress=False)
    fx = FloatExecutor(qm.float_graph)
    s = Scores(int(counts.sum()), 0, 0, 0, 0, 0, [])
    for k, x in enumerate(to_nchw(images)):
        tb = test["boxes"][starts[k]:starts[k + 1]]
        tl = test["labels"][starts[k]:starts[k + 1]]
        df = decode(fx.run({"image": x[None]}), images.shape[1])
        dq = decode(qm.run({"image": x[None]}), images.shape[1])
        s.float_dets += len(df)
        s.int8_dets += len(dq)
        s.float_hits += matches(df.boxes, df.classes, tb, tl)
        s.int8_hits += matches(dq.boxes, dq.classes, tb, tl)
        s.agree += matches(dq.boxes, dq.classes, df.boxes, df.classes)
        s.per_image.append((tb, tl, df, dq))
    return s


def fmt(boxes: np.ndarray, classes: np.ndarray, scores: np.ndarray | None = None) -> str:
    parts = []
    for i, (b, c) in enumerate(zip(boxes, classes)):
        sc = f" {scores[i]:.2f}" if scores is not None else ""
        parts.append(f"{CLASSES[int(c)]}({b[0]:.0f},{b[1]:.0f},{b[2]:.0f},{b[3]:.0f}){sc}")
    return "  ".join(parts) or "-"


def save_drawings(images: np.ndarray, s: Scores, out: Path) -> None:
    from PIL import Image, ImageDraw
    out.mkdir(parents=True, exist_ok=True)
    for k, (tb, _, df, dq) in enumerate(s.per_image):
        img = Image.fromarray(images[k]).resize((256, 256), Image.NEAREST)
        draw = ImageDraw.Draw(img)
        for boxes, colour in ((tb, "white"), (df.boxes, "lime"), (dq.boxes, "magenta")):
            for b in boxes:
                draw.rectangle(tuple(float(v) * 4 for v in b), outline=colour)
        img.save(out / f"det_{k:02d}.png")


def main(argv: list[str] | None = None) -> Scores:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=None, help="test images (default all)")
    ap.add_argument("--save", type=Path, help="draw truth / float / int8 boxes into PNGs")
    ap.add_argument("--calib", type=int, default=None, help="calibration images (default all)")
    args = ap.parse_args(argv)
    s = evaluate(args.images, args.calib)
    for k, (tb, tl, df, dq) in enumerate(s.per_image):
        print(f"image {k:2d}  truth {fmt(tb, tl)}")
        print(f"          float {fmt(df.boxes, df.classes, df.scores)}")
        print(f"          int8  {fmt(dq.boxes, dq.classes, dq.scores)}")
    print(f"\n{s.truths} true boxes; score ≥ {SCORE}, NMS IoU {IOU_NMS}; a hit is same class "
          "and IoU ≥ 0.5")
    print(f"float: recall {s.recall(s.float_hits):.1%}  precision "
          f"{s.float_hits / max(s.float_dets, 1):.1%}  ({s.float_dets} detections)")
    print(f"int8:  recall {s.recall(s.int8_hits):.1%}  precision "
          f"{s.int8_hits / max(s.int8_dets, 1):.1%}  ({s.int8_dets} detections)")
    print(f"int8 detections matching a float one: {s.agree}/{s.int8_dets}")
    if args.save:
        save_drawings(np.load(DATA / "test.npz")["images"][:args.images], s, args.save)
        print(f"drawings in {args.save}/")
    return s


if __name__ == "__main__":
    main()
