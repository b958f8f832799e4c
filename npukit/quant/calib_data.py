"""Calibration data: feed dicts ``{input_name: array}`` streamed from files or memory.

Sources (RKNN-Toolkit2 conventions where they exist): a folder of images
(jpg/jpeg/png/bmp) or ``.npy`` / ``.npz`` files; a single ``.npy`` / ``.npz``;
a ``.txt`` list with one sample per line and, for multi-input models, one
space-separated path per input (relative paths are relative to the txt file);
or in-memory arrays, dicts or paths.  Samples are loaded one at a time.

Images are decoded with Pillow, converted to RGB/BGR (grey for one channel),
resized to the input's H×W and normalised as ``(pixel - mean) / std`` in
0–255 units (RKNN's ``mean_values`` / ``std_values``).  Arrays are checked
against the input's shape and dtype; they hold one sample (the input shape,
with or without its batch axis) or a stack of samples along a new first axis.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence, TypeVar, Union

import numpy as np

from npukit.errors import InputError, NpukitError
from npukit.ir import Graph

Feed = dict[str, np.ndarray]
T = TypeVar("T")


@dataclass(frozen=True)
class InputSpec:
    """What a model input accepts: name, shape (ints or symbolic names), dtype name."""

    name: str
    shape: tuple
    dtype: str = "float32"

    @property
    def batched(self) -> bool:
        """Axis 0 is a batch axis (rank >= 2, or a symbolic first dim)."""
        return len(self.shape) >= 2 or (len(self.shape) == 1 and not isinstance(self.shape[0], int))

    @property
    def item_shape(self) -> tuple:
        return tuple(self.shape[1:]) if self.batched else tuple(self.shape)

    @property
    def batch(self) -> int:
        b = self.shape[0] if self.batched else 1
        return b if isinstance(b, int) and b > 0 else 1


def input_specs(graph: Graph) -> list[InputSpec]:
    """The specs of a graph's inputs; an input of unknown rank cannot be calibrated."""
    specs = []
    for name in graph.inputs:
        v = graph.values[name]
        if v.shape is None:
            raise InputError(f"model {graph.name!r}: input {name!r} has unknown rank",
                             hint="give the model input a shape before calibrating")
        specs.append(InputSpec(name, tuple(v.shape), v.dtype or "float32"))
    return specs


@dataclass(frozen=True)
class CalibConfig:
    """How images become tensors, and how many samples to use.

    ``mean`` / ``std`` are per channel in 0–255 units; a scalar or one value
    per channel applies to every image input, a list of lists gives one per
    input (RKNN's ``mean_values=[[...], ...]``).
    """

    mean: Any = 0.0
    std: Any = 1.0
    color: str = "RGB"              # RGB | BGR (one-channel inputs are always grey)
    layout: str = "NCHW"            # NCHW | NHWC
    resize: str = "stretch"         # stretch | center_crop (shorter side, then crop)
    limit: int | None = None        # at most this many samples

    def __post_init__(self) -> None:
        for field, value, allowed in (("color", self.color, ("RGB", "BGR")),
                                      ("layout", self.layout, ("NCHW", "NHWC")),
                                      ("resize", self.resize, ("stretch", "center_crop"))):
            if value not in allowed:
                raise NpukitError(f"CalibConfig.{field} must be one of {list(allowed)}, "
                                  f"got {value!r}")
        if self.limit is not None and self.limit < 1:
            raise NpukitError(f"CalibConfig.limit must be at least 1, got {self.limit}")

    def norm(self, k: int, channels: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std (float32, one per channel) for the ``k``-th input."""
        out = []
        for what, v in (("mean", self.mean), ("std", self.std)):
            v = np.asarray(v, dtype=np.float64)
            if v.ndim == 2:
                if k >= v.shape[0]:
                    raise NpukitError(f"CalibConfig.{what} has {v.shape[0]} rows, the model "
                                      f"has more inputs")
                v = v[k]
            v = v.reshape(-1)
            if v.size == 1:
                v = np.repeat(v, channels)
            if v.size != channels:
                raise NpukitError(f"CalibConfig.{what} has {v.size} values, the image input "
                                  f"has {channels} channels")
            out.append(v.astype(np.float32))
        if np.any(out[1] == 0):
            raise NpukitError("CalibConfig.std must not contain 0")
        return out[0], out[1]


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "",
             enable: bool = True) -> Iterable[T]:
    """A tqdm bar on a terminal (stderr), the bare iterable otherwise."""
    if not enable or not sys.stderr.isatty():
        return iterable
    from tqdm import tqdm
    return tqdm(iterable, total=total, desc=desc, leave=False, file=sys.stderr)


Source = Union[str, Path, np.ndarray, Mapping[str, Any], Sequence[Any]]


class CalibrationSource:
    """Iterates feed dicts for ``inputs`` (a Graph or InputSpecs) from ``source``."""

    def __init__(self, source: Source, inputs: Graph | Sequence[InputSpec],
                 config: CalibConfig | None = None) -> None:
        from npukit.quant.calib_files import entries_for
        self.specs = input_specs(inputs) if isinstance(inputs, Graph) else list(inputs)
        if not self.specs:
            raise InputError("the model has no inputs to calibrate")
        self.config = config or CalibConfig()
        self.entries = entries_for(source, self.specs, self.config)
        if not self.entries:
            raise InputError(f"calibration source {_describe(source)} holds no samples")
        self._samples: int | None = None

    @property
    def samples(self) -> int:
        """Number of samples used (after ``limit``)."""
        if self._samples is None:
            n = sum(e.count() for e in self.entries)
            self._samples = n if self.config.limit is None else min(n, self.config.limit)
        return self._samples

    def __len__(self) -> int:
        """Number of feed dicts (batches) the iteration yields."""
        return self.samples // max(s.batch for s in self.specs) if self.samples else 0

    def __iter__(self) -> Iterator[Feed]:
        pending: dict[str, list[np.ndarray]] = {s.name: [] for s in self.specs}
        left = self.samples
        for entry in self.entries:
            if left <= 0:
                break
            items = entry.load()
            k = min(next(iter(items.values())).shape[0], left)
            left -= k
            for s in self.specs:
                pending[s.name].extend(items[s.name][:k])
            while all(len(pending[s.name]) >= s.batch for s in self.specs):
                yield self._feed(pending)

    def _feed(self, pending: dict[str, list[np.ndarray]]) -> Feed:
        feed: Feed = {}
        for s in self.specs:
            items, pending[s.name] = pending[s.name][:s.batch], pending[s.name][s.batch:]
            feed[s.name] = np.stack(items) if s.batched else items[0]
        return feed


def _describe(source: Any) -> str:
    if isinstance(source, (str, Path)):
        return repr(str(source))
    return f"({type(source).__name__})"
