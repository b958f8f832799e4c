"""Calibration through AIPP, so the quantization sees what the board's AIPP feeds the model.

``quantize_through_aipp(graph, stages, calib, config)`` is ``quant.quantize`` with
two differences:

* samples — photos (JPEG/PNG/BMP …, decoded to RGB and converted to the frame
  the camera would deliver), raw frames (``.yuv/.nv12/.nv21/.rgb/.bin`` …), or
  uint8 ``.npy``/``.npz``/arrays of either — are pushed through the AIPP float
  reference (``AippStage.run_float``) before the float model sees them;
* each AIPP input's range is replaced by ``aipp.input_range`` — the exact range
  of what AIPP can produce — instead of what the observer estimated.

Sources: a folder (sorted; other files are ignored), a ``.txt`` list (one path a
line, relative to the list), one file, an array or a list of arrays.  Feeds that
are already model inputs (dicts of float arrays) are used as they are, with the
exact ranges still applied.  A uint8 array whose shape is the stage's frame
shape is a raw frame; an ``(H, W, 3)`` one is an RGB image.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Union

import numpy as np

from npukit.compiler.aipp import input_range
from npukit.errors import InputError
from npukit.ir import Graph
from npukit.preprocess import AippError, AippStage, read_image_rgb
from npukit.preprocess.stage import RAW_SUFFIXES
from npukit.quant.calib_data import CalibConfig
from npukit.quant.calibrator import CalibrationResult
from npukit.quant.config import QuantConfig
from npukit.quant.quantizer import QuantizedModel, build, quantize

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")
DATA_SUFFIXES = (".npy", ".npz")
Item = Union[Path, np.ndarray]


def read_sample(item: Item, stage: AippStage) -> list[np.ndarray]:
    """The raw frames (uint8, one each) in a file or array, for a batch-1 ``stage``."""
    if isinstance(item, Path):
        ext = item.suffix.lower()
        if ext in RAW_SUFFIXES:
            return [stage.frame_from_file(item)]
        if ext in DATA_SUFFIXES:
            return [f for a in _arrays(item) for f in _frames(a, stage, str(item))]
        return [stage.frame_from_image(read_image_rgb(item))]
    return _frames(np.asarray(item), stage, "in-memory sample")


def _arrays(p: Path) -> list[np.ndarray]:
    try:
        if p.suffix.lower() == ".npy":
            return [np.load(p, allow_pickle=False)]
        with np.load(p, allow_pickle=False) as z:
            return [z[k] for k in z.files]
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read calibration file {p}: {e}") from None


def _frames(a: np.ndarray, stage: AippStage, where: str) -> list[np.ndarray]:
    frame = tuple(stage.input_spec().shape[1:])
    if a.dtype != np.uint8:
        raise AippError(f"{where}: {a.dtype} data; calibration through AIPP takes uint8 "
                        "photos (H, W, 3) or raw frames", rule="file",
                        hint="save images as they come from the camera, not normalised")
    if a.shape == frame:
        return [a]
    if a.shape[1:] == frame:
        return list(a)
    if a.ndim == 3 and a.shape[2] == 3:
        return [stage.frame_from_image(a)]
    if a.ndim == 4 and a.shape[3] == 3:
        return [stage.frame_from_image(x) for x in a]
    raise AippError(f"{where}: array of shape {list(a.shape)} is neither a raw frame "
                    f"{list(frame)} nor RGB images (H, W, 3)", rule="frame_size")


def list_items(source: Any) -> list[Item]:
    """The files or arrays of a calibration source, one sample (or stack) each."""
    if isinstance(source, (str, Path)):
        p = Path(source)
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith(".")
                           and f.suffix.lower() in IMAGE_SUFFIXES + RAW_SUFFIXES
                           + DATA_SUFFIXES)
            if not files:
                raise InputError(f"calibration folder {str(p)!r} holds no images, raw "
                                 "frames or .npy/.npz files")
            return list(files)
        if p.suffix.lower() == ".txt" and p.is_file():
            lines = [s.strip() for s in p.read_text().splitlines()]
            return [(p.parent / s) for s in lines if s and not s.startswith("#")]
        if not p.exists():
            raise InputError(f"calibration source {str(p)!r} does not exist")
        return [p]
    if isinstance(source, np.ndarray):
        return [source]
    if isinstance(source, (list, tuple)):
        return [Path(x) if isinstance(x, str) else x for x in source]
    raise InputError(f"unsupported calibration source of type {type(source).__name__}",
                     hint="give a folder, a .txt list, a file, or uint8 arrays")


class AippCalibration:
    """Feeds ``{input: float32 [N, C, H, W]}`` of AIPP's float output, one sample at a time;
    the first ``keep_n`` feeds are kept in ``kept`` (for bias correction)."""

    def __init__(self, source: Any, name: str, stage: AippStage, *,
                 limit: int | None = None, keep_n: int = 0) -> None:
        self.name, self.stage = name, stage
        # a bound dynamic stage calibrates with its first parameter set, as a static one
        cfg = stage.params[0] if stage.cfg.dynamic else stage.cfg
        self.one = AippStage(cfg, layout=stage.layout, name=name)
        self.items = list_items(source)
        self.limit, self.keep_n = limit, keep_n
        self.kept: list[dict[str, np.ndarray]] = []
        self.samples = 0

    def __len__(self) -> int:
        n = len(self.items) if self.limit is None else min(len(self.items), self.limit)
        return max(n // self.stage.batch, 1)

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        pending: list[np.ndarray] = []
        self.samples = 0
        for item in self.items:
            for frame in read_sample(item, self.one):
                if self.limit is not None and self.samples >= self.limit:
                    return
                pending.append(self.one.run_float(frame))
                self.samples += 1
                if len(pending) == self.stage.batch:
                    feed = {self.name: np.concatenate(pending)}
                    pending = []
                    if len(self.kept) < self.keep_n:
                        self.kept.append(feed)
                    yield feed


def _kept_needed(config: QuantConfig) -> int:
    return max(config.bias_correction_samples if config.bias_correction else 0,
               config.range_search_samples, config.mixed_samples if config.mixed else 0)


def quantize_through_aipp(graph: Graph, stages: Mapping[str, AippStage], calib: Any,
                          config: QuantConfig | None = None, *,
                          calib_config: CalibConfig | None = None,
                          show_progress: bool = False) -> QuantizedModel:
    """``quantize`` with calibration through AIPP and exact AIPP input ranges.

    When every stage is dynamic without bound parameters, the normalisation is only
    known at run time: the model is calibrated the ordinary way (``calib_config``'s
    mean / std on images) and no range is replaced.
    """
    config = config or QuantConfig()
    limit = calib_config.limit if calib_config else None
    if not exact_ranges(stages):
        return quantize(graph, calib, config, calib_config=calib_config,
                        show_progress=show_progress)
    feeds = _given_feeds(calib)
    if feeds is None:
        source = _source(graph, stages, calib, limit, _kept_needed(config))
        kept = source.kept
    else:
        source, kept = feeds, feeds
    # calibrate and assign once without the algorithms that re-run the model, then
    # build again with the exact input ranges and the caller's full config
    base = dataclasses.replace(config, bias_correction=False, range_search_samples=0,
                               mixed=None)
    qm0 = quantize(graph, source, base, show_progress=show_progress)
    cal = qm0.calibration
    assert cal is not None
    ranges = {**cal.ranges, **exact_ranges(stages)}
    result = CalibrationResult(ranges, cal.observers, cal.batches)
    qm = build(qm0.float_graph, result, config, list(kept), cle=qm0.cle)
    if config.mixed is not None:
        from npukit.quant.mixed import auto_mixed
        qm, qm.mixed = auto_mixed(qm, list(kept)[:config.mixed_samples], config.mixed)
    return qm


def _given_feeds(calib: Any) -> list[dict[str, np.ndarray]] | None:
    """Calibration given as model-input feeds (dicts of float arrays), or None."""
    if isinstance(calib, Mapping):
        calib = [calib]
    if isinstance(calib, (list, tuple)) and calib and all(isinstance(c, Mapping)
                                                          for c in calib):
        return [dict(c) for c in calib]
    return None


def _source(graph: Graph, stages: Mapping[str, AippStage], calib: Any, limit: int | None,
            keep_n: int) -> AippCalibration:
    missing = [n for n in graph.inputs if n not in stages]
    if missing or len(stages) != 1:
        raise InputError(f"calibration through AIPP takes models with one input, which has "
                         f"AIPP; model {graph.name!r} has inputs {list(graph.inputs)} and "
                         f"AIPP on {list(stages)}",
                         hint="pass the calibration as feed dicts of model inputs instead")
    (name, stage), = stages.items()
    return AippCalibration(calib, name, stage, limit=limit, keep_n=keep_n)


def exact_ranges(stages: Mapping[str, AippStage]) -> dict[str, tuple[float, float]]:
    """The exact input ranges of the static (or bound) stages."""
    return {n: r for n, s in stages.items() if (r := input_range(s)) is not None}

