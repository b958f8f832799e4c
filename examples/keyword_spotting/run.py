"""Keyword spotting (8 words + "unknown", spoken by espeak-ng voices never heard in
training) in float and int8: held-out accuracy, and three WAV clips end to end
(NumPy log-mel features → model → softmax / top-k).

    python examples/keyword_spotting/run.py      # --clips N, --calib N

No torch and no espeak-ng needed: the model, the held-out features and the clips
are committed under data/ (train.py beside this file makes them).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from features import log_mel, read_wav  # noqa: E402

from npukit.api import load  # noqa: E402
from npukit.postprocess import softmax, top_k  # noqa: E402
from npukit.quant.quantizer import quantize  # noqa: E402
from npukit.sim import FloatExecutor  # noqa: E402

DATA = HERE / "data"
META = json.loads((DATA / "kws.json").read_text())
LABELS: list[str] = META["labels"]


def decode(codes: np.ndarray) -> np.ndarray:
    """uint8-coded log-mel features → float."""
    return codes.astype(np.float32) * META["code_scale"] + META["code_min"]


def to_input(feats: np.ndarray) -> np.ndarray:
    """[N, frames, mels] log-mel → model input [N, 1, frames, mels]."""
    return ((feats - META["mean"]) / META["std"])[:, None].astype(np.float32)


@dataclass
class Scores:
    n: int
    float_acc: float
    int8_acc: float
    agreement: float               # int8 top-1 == float top-1
    confusion: np.ndarray          # int8, rows = truth
    clips: dict[str, tuple[str, float, str, float]]   # wav → float/int8 label and prob


def evaluate(n_clips: int | None = None, n_calib: int | None = None) -> Scores:
    data = np.load(DATA / "heldout.npz")
    x = to_input(decode(data["codes"]))
    y = data["labels"]
    if n_clips is not None:                      # a class-balanced subset
        pick = np.concatenate([np.nonzero(y == k)[0][:max(1, n_clips // len(LABELS))]
                               for k in range(len(LABELS))])
        x, y = x[pick], y[pick]
    calib = to_input(decode(data["calib_codes"][:n_calib]))
    qm = quantize(load(DATA / "kws.onnx").graph, [{"features": c[None]} for c in calib],
                  show_progress=False)
    fx = FloatExecutor(qm.float_graph)
    pf = np.concatenate([fx.run({"features": v[None]})["logits"] for v in x]).argmax(1)
    pq = np.concatenate([qm.run({"features": v[None]})["logits"] for v in x]).argmax(1)
    conf = np.zeros((len(LABELS), len(LABELS)), np.int64)
    np.add.at(conf, (y, pq), 1)
    clips = {}
    for wav in sorted(DATA.glob("*.wav")):
        v = to_input(log_mel(read_wav(wav))[None])
        f = top_k(fx.run({"features": v})["logits"][0], 1, LABELS, apply_softmax=True)[0]
        q = softmax(qm.run({"features": v})["logits"][0])
        clips[wav.name] = (f.label, f.score, LABELS[int(q.argmax())], float(q.max()))
    return Scores(len(y), float(np.mean(pf == y)), float(np.mean(pq == y)),
                  float(np.mean(pf == pq)), conf, clips)


def main(argv: list[str] | None = None) -> Scores:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=None, help="held-out clips (default all)")
    ap.add_argument("--calib", type=int, default=None, help="calibration clips (default all)")
    args = ap.parse_args(argv)
    s = evaluate(args.clips, args.calib)
    for wav, (fl, fp, ql, qp) in s.clips.items():
        print(f"{wav:<10} float: {fl} ({fp:.0%})   int8: {ql} ({qp:.0%})")
    print(f"\nheld-out ({s.n} clips, voices unseen in training): float accuracy "
          f"{s.float_acc:.1%}, int8 accuracy {s.int8_acc:.1%}, "
          f"int8 = float top-1 on {s.agreement:.1%}")
    print("int8 confusion (rows truth, columns prediction):")
    print("          " + " ".join(f"{lab[:5]:>5}" for lab in LABELS))
    for lab, row in zip(LABELS, s.confusion):
        print(f"  {lab:<8}" + " ".join(f"{v:5d}" for v in row))
    return s


if __name__ == "__main__":
    main()
