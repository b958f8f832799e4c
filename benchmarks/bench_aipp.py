"""AIPP on the CPU: one 1080p NV12 frame -> 224x224 normalised RGB, against OpenCV.

    python benchmarks/bench_aipp.py [--repeat 40] [--threads 1]

The frame is skimage's ``astronaut`` photo scaled to 1920x1080 and converted
to NV12 by OpenCV.  Timed (medians, same thread count for NumPy's BLAS and
OpenCV; the three run round-robin, so each starts with the frame out of cache):

* ``npukit_int``: ``AippStage.run_int`` — the bit-exact integer path the NPU
  runs (Q8 CSC on the pixels the resize needs, Q11 bilinear, normalisation
  folded into the int8 input quantization);
* ``npukit_float``: ``AippStage.run_float`` — the float64 reference (decodes the
  whole frame; converts only the rows and columns the resize reads);
* ``opencv``: ``cvtColor(NV12 -> RGB)`` + ``resize(INTER_LINEAR)`` + NumPy
  ``(x - mean) / std`` + HWC -> CHW, the usual CPU preprocessing;
* the same three with nearest resize.

Writes benchmarks/results/aipp.json and aipp.md.
"""

from __future__ import annotations

import argparse
import os
import sys


def _threads(n: int) -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


if __name__ == "__main__":  # thread count before NumPy loads its BLAS
    _threads(int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1)

import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from skimage import data  # noqa: E402

from npukit.preprocess import AippStage, from_dict  # noqa: E402

RESULTS = Path(__file__).parent / "results"
MEAN = np.array([123.675, 116.28, 103.53], np.float32)
STD = np.array([58.395, 57.12, 57.375], np.float32)


def _medians_ms(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median time of each function, run round-robin so all see the same machine load."""
    for fn in fns.values():
        fn()  # warm-up
    ts: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            ts[name].append(time.perf_counter() - t)
    return {name: round(1000 * sorted(v)[len(v) // 2], 2) for name, v in ts.items()}


def _frame() -> np.ndarray:
    rgb = cv2.resize(data.astronaut(), (1920, 1080), interpolation=cv2.INTER_LINEAR)
    i420 = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).reshape(-1)
    n = 1920 * 1080
    u, v = i420[n: n + n // 4], i420[n + n // 4:]
    return np.concatenate([i420[:n], np.stack([u, v], -1).reshape(-1)]).reshape(1620, 1920)


def _stage(mode: str) -> AippStage:
    return AippStage(from_dict({
        "input_format": "YUV420SP_U8", "src_image_size_w": 1920, "src_image_size_h": 1080,
        "csc_switch": True, "resize": True, "resize_mode": mode,
        "resize_output_w": 224, "resize_output_h": 224,
        **{f"mean_chn_{i}": int(MEAN[i]) for i in range(3)},
        **{f"min_chn_{i}": float(MEAN[i] - int(MEAN[i])) for i in range(3)},
        **{f"var_reci_chn_{i}": float(1 / STD[i]) for i in range(3)}}))


def _opencv(frame: np.ndarray, inter: int) -> np.ndarray:
    rgb = cv2.resize(cv2.cvtColor(frame, cv2.COLOR_YUV2RGB_NV12), (224, 224),
                     interpolation=inter)
    return np.ascontiguousarray(((rgb - MEAN) / STD).transpose(2, 0, 1))[None]


def measure(repeat: int) -> dict[str, float]:
    frame = _frame()
    quant = (float(2.64 / 127), 0, "int8")  # the model input's int8 scale
    out: dict[str, float] = {}
    for mode, inter in (("bilinear", cv2.INTER_LINEAR), ("nearest", cv2.INTER_NEAREST)):
        stage = _stage(mode)
        times = _medians_ms({
            "npukit_int": lambda s=stage: s.run_int(frame, quant),
            "npukit_float": lambda s=stage: s.run_float(frame),
            "opencv": lambda i=inter: _opencv(frame, i)}, repeat)
        out.update({f"{mode}_{k}_ms": v for k, v in times.items()})
        ref = _opencv(frame, inter)
        out[f"{mode}_float_vs_opencv_max_abs"] = round(
            float(np.abs(stage.run_float(frame) - ref).max()), 4)
    return out


def _markdown(r: dict[str, object]) -> str:
    lines = ["# AIPP: 1080p NV12 -> 224x224 normalised RGB (per frame)", "",
             f"{r['threads']} thread(s), {r['machine']}, NumPy {r['numpy']}, "
             f"OpenCV {r['opencv']}; medians of {r['repeat']} runs, interleaved.", "",
             "| resize | npukit int (ms) | npukit float ref (ms) | OpenCV (ms) | "
             "int / OpenCV | float vs OpenCV max abs |", "|---|---|---|---|---|---|"]
    for m in ("bilinear", "nearest"):
        i, f, o = (r[f"{m}_npukit_int_ms"], r[f"{m}_npukit_float_ms"], r[f"{m}_opencv_ms"])
        lines.append(f"| {m} | {i} | {f} | {o} | {i / o:.1f}x | "
                     f"{r[f'{m}_float_vs_opencv_max_abs']} |")
    lines += ["", "Round-robin runs: each starts with the frame out of cache, as a DMA'd camera "
              "frame would.  OpenCV converts the whole frame with SIMD C++; npukit's integer "
              "path is NumPy that gathers only the pixels the resize reads, and models the "
              "NPU bit for bit.  On a board the NPU's AIPP block does this work."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=40)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    cv2.setNumThreads(args.threads)
    result: dict[str, object] = {"threads": args.threads, "repeat": args.repeat,
                                 "machine": platform.machine(), "numpy": np.__version__,
                                 "opencv": cv2.__version__, "python": platform.python_version(),
                                 **measure(args.repeat)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "aipp.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "aipp.md").write_text(_markdown(result))
    sys.stdout.write(_markdown(result))


if __name__ == "__main__":
    main()
