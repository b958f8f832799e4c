"""Calibration samples on disk or in memory: listing, shape checks, decoding.

An :class:`Entry` is one line of a dataset, one file or one in-memory sample;
``load()`` gives, per model input, an array of ``k`` stacked samples.
``count()`` reads only headers, so a source knows its size (for progress bars)
and reports a wrong shape before any model runs.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence, Union

import numpy as np

from npukit.errors import InputError
from npukit.ir.dtypes import to_numpy

if TYPE_CHECKING:
    from npukit.quant.calib_data import CalibConfig, InputSpec

IMAGE_EXTS = frozenset({".jpg", ".jpeg", ".png", ".bmp"})
Part = Union[Path, np.ndarray]


def npz_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """Array shapes in an ``.npz`` without reading the data (from the .npy headers)."""
    shapes = {}
    with zipfile.ZipFile(path) as z:
        for member in z.namelist():
            if member.endswith(".npy"):
                with z.open(member) as f:
                    major, _ = np.lib.format.read_magic(f)
                    read = (np.lib.format.read_array_header_1_0 if major == 1
                            else np.lib.format.read_array_header_2_0)
                    shapes[member[:-4]] = tuple(read(f)[0])
    return shapes


def _matches(shape: tuple, dims: tuple) -> bool:
    return len(shape) == len(dims) and all(
        not isinstance(d, int) or d == s for d, s in zip(dims, shape))


def _expected(spec: InputSpec) -> str:
    one = list(spec.item_shape)
    return (f"{list(spec.shape)} (one sample {one}, or a stack [S, *{one}])" if spec.batched
            else f"{list(spec.shape)}")


def n_items(shape: tuple, spec: InputSpec, where: str) -> int:
    """How many samples an array of ``shape`` holds for ``spec``; raise if it fits not."""
    item = spec.item_shape
    if _matches(tuple(shape), item):
        return 1
    if len(shape) == len(item) + 1 and _matches(tuple(shape[1:]), item):
        return int(shape[0])
    raise InputError(f"{where}: array for input {spec.name!r} has shape {list(shape)}; the "
                     f"model expects {_expected(spec)}")


def check_dtype(arr: np.ndarray, spec: InputSpec, where: str) -> np.ndarray:
    want = to_numpy(spec.dtype)
    ok = (arr.dtype.kind == "f" if want.kind == "f" else
          arr.dtype.kind == "b" if want.kind == "b" else
          arr.dtype.kind in "iu" and np.can_cast(arr.dtype, want, "same_kind"))
    if not ok:
        raise InputError(f"{where}: array for input {spec.name!r} has dtype {arr.dtype}; the "
                         f"model expects {want}",
                         hint="save arrays already normalised, in the model's dtype")
    return arr.astype(want, copy=False)


def decode_image(path: Path, spec: InputSpec, k: int, config: CalibConfig) -> np.ndarray:
    """One image as a ``(1, *item_shape)`` array for input ``spec`` (``k``-th input)."""
    from PIL import Image
    item = spec.item_shape
    if len(item) != 3 or not all(isinstance(d, int) for d in item):
        raise InputError(f"{path}: images need a 4-D input with static C, H, W; input "
                         f"{spec.name!r} has shape {list(spec.shape)}",
                         hint="feed .npy arrays, or give the input a static shape")
    c, h, w = item if config.layout == "NCHW" else (item[2], item[0], item[1])
    if c not in (1, 3):
        raise InputError(f"{path}: input {spec.name!r} has {c} channels in {config.layout} "
                         f"layout; images give 1 or 3", hint="check CalibConfig.layout")
    try:
        with Image.open(path) as im:
            im = im.convert("L" if c == 1 else "RGB")
            im = _resize(im, w, h, config.resize)
            px = np.asarray(im, dtype=np.float32).reshape(h, w, c)
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise InputError(f"cannot decode image {path}: {e}",
                         hint="remove or replace the file") from None
    if c == 3 and config.color == "BGR":
        px = px[:, :, ::-1]
    want = to_numpy(spec.dtype)
    mean, std = config.norm(k, c)
    if want.kind == "f":
        px = ((px - mean) / std).astype(want)
    elif np.any(mean != 0) or np.any(std != 1):
        raise InputError(f"input {spec.name!r} is {want}: images are fed as raw pixels, "
                         "so mean/std cannot apply", hint="use mean=0, std=1")
    else:
        px = px.astype(want)
    if config.layout == "NCHW":
        px = px.transpose(2, 0, 1)
    return np.ascontiguousarray(px)[None]


def _resize(im: Any, w: int, h: int, mode: str) -> Any:
    from PIL import Image
    if mode == "center_crop":
        s = max(w / im.width, h / im.height)
        rw, rh = max(w, round(im.width * s)), max(h, round(im.height * s))
        im = im.resize((rw, rh), Image.Resampling.BILINEAR)
        left, top = (rw - w) // 2, (rh - h) // 2
        return im.crop((left, top, left + w, top + h))
    return im.resize((w, h), Image.Resampling.BILINEAR)


class Entry:
    """One sample source: per input, a file (image / .npy) or an array; or one .npz."""

    def __init__(self, parts: Mapping[str, Part] | Path, specs: Sequence[InputSpec],
                 config: CalibConfig, where: str) -> None:
        self.parts, self.specs, self.config, self.where = parts, specs, config, where
        self._count: int | None = None

    def _where(self, part: Part) -> str:
        return str(part) if isinstance(part, Path) else self.where

    def _npz_key(self, keys: Sequence[str], k: int, spec: InputSpec) -> str:
        for key in (spec.name, f"arr_{k}"):
            if key in keys:
                return key
        raise InputError(f"{self.parts}: no array for input {spec.name!r} (has {sorted(keys)})",
                         hint=f"name the arrays after the inputs: {[s.name for s in self.specs]}")

    def count(self) -> int:
        if self._count is None:
            counts = {}
            if isinstance(self.parts, Path):
                shapes = npz_shapes(self.parts)
                for k, s in enumerate(self.specs):
                    shape = shapes[self._npz_key(list(shapes), k, s)]
                    counts[s.name] = n_items(shape, s, str(self.parts))
            else:
                for s in self.specs:
                    counts[s.name] = self._part_count(self.parts[s.name], s)
            if len(set(counts.values())) > 1:
                raise InputError(f"{self.where}: inputs hold different numbers of samples "
                                 f"{counts}")
            self._count = next(iter(counts.values()))
        return self._count

    def _part_count(self, part: Part, spec: InputSpec) -> int:
        if isinstance(part, np.ndarray):
            return n_items(part.shape, spec, self.where)
        if part.suffix.lower() in IMAGE_EXTS:
            return 1
        try:
            shape = np.load(part, mmap_mode="r").shape
        except (OSError, ValueError) as e:
            raise InputError(f"cannot read array file {part}: {e}") from None
        return n_items(shape, spec, str(part))

    def load(self) -> dict[str, np.ndarray]:
        """Per input, ``(k, *item_shape)`` arrays in the input's dtype."""
        self.count()
        out = {}
        if isinstance(self.parts, Path):
            with np.load(self.parts) as z:
                for k, s in enumerate(self.specs):
                    arr = z[self._npz_key(list(z.keys()), k, s)]
                    out[s.name] = self._shaped(arr, s, str(self.parts))
            return out
        for k, s in enumerate(self.specs):
            part = self.parts[s.name]
            if isinstance(part, Path) and part.suffix.lower() in IMAGE_EXTS:
                out[s.name] = decode_image(part, s, k, self.config)
            else:
                arr = part if isinstance(part, np.ndarray) else np.load(part)
                out[s.name] = self._shaped(arr, s, self._where(part))
        return out

    def _shaped(self, arr: np.ndarray, spec: InputSpec, where: str) -> np.ndarray:
        n = n_items(arr.shape, spec, where)
        arr = check_dtype(np.asarray(arr), spec, where)
        return arr.reshape((n, *arr.shape[-len(spec.item_shape):]) if spec.item_shape
                           else (n,))


def _check_file(p: Path, allowed: frozenset[str], where: str) -> Path:
    if p.suffix.lower() not in allowed:
        raise InputError(f"{where}: {p.name!r} is not one of {sorted(allowed)}")
    if not p.is_file():
        raise InputError(f"{where}: file {str(p)!r} does not exist")
    return p


def _single(specs: Sequence[InputSpec], what: str) -> str:
    if len(specs) != 1:
        raise InputError(f"{what} feeds a single-input model; this one has inputs "
                         f"{[s.name for s in specs]}",
                         hint="use a dataset .txt with one path per input on each line, "
                              "or .npz files keyed by input name")
    return specs[0].name


def _txt_entries(path: Path, specs: Sequence[InputSpec], config: CalibConfig) -> list[Entry]:
    entries = []
    for no, line in enumerate(path.read_text().splitlines(), 1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        where = f"{path} line {no}"
        if len(words) != len(specs):
            raise InputError(f"{where}: {len(words)} path(s) for {len(specs)} model input(s) "
                             f"{[s.name for s in specs]}")
        files = [_check_file(path.parent / w, IMAGE_EXTS | {".npy"}, where) for w in words]
        entries.append(Entry({s.name: f for s, f in zip(specs, files)}, specs, config, where))
    return entries


def _path_entries(p: Path, specs: Sequence[InputSpec], config: CalibConfig) -> list[Entry]:
    if not p.exists():
        raise InputError(f"calibration source {str(p)!r} does not exist")
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith(".")
                       and f.suffix.lower() in IMAGE_EXTS | {".npy", ".npz"})
        if not files:
            raise InputError(f"calibration folder {str(p)!r} holds no images "
                             f"({', '.join(sorted(IMAGE_EXTS))}) or .npy/.npz files")
        return [e for f in files for e in _path_entries(f, specs, config)]
    ext = p.suffix.lower()
    if ext == ".txt":
        entries = _txt_entries(p, specs, config)
        if not entries:
            raise InputError(f"calibration list {str(p)!r} is empty")
        return entries
    if ext == ".npz":
        return [Entry(p, specs, config, str(p))]
    if ext in IMAGE_EXTS or ext == ".npy":
        return [Entry({_single(specs, f"{ext} file {str(p)!r}"): p}, specs, config, str(p))]
    raise InputError(f"calibration source {str(p)!r}: unknown file type {ext!r}",
                     hint="use a folder, a .txt list, .npy/.npz, or images")


def _memory_entry(item: Any, k: int, specs: Sequence[InputSpec],
                  config: CalibConfig) -> list[Entry]:
    where = f"in-memory sample {k}"
    if isinstance(item, (str, Path)):
        return _path_entries(Path(item), specs, config)
    if isinstance(item, Mapping):
        names = [s.name for s in specs]
        if sorted(item) != sorted(names):
            raise InputError(f"{where}: keys {sorted(item)} do not match the model inputs "
                             f"{names}")
        return [Entry({n: np.asarray(item[n]) for n in names}, specs, config, where)]
    name = _single(specs, "an array")
    return [Entry({name: np.asarray(item)}, specs, config, where)]


def entries_for(source: Any, specs: Sequence[InputSpec], config: CalibConfig) -> list[Entry]:
    """The entries of any supported source (see :mod:`npukit.quant.calib_data`)."""
    if isinstance(source, (str, Path)):
        return _path_entries(Path(source), specs, config)
    if isinstance(source, (np.ndarray, Mapping)):
        return _memory_entry(source, 0, specs, config)
    if isinstance(source, (list, tuple)):
        return [e for k, item in enumerate(source) for e in _memory_entry(item, k, specs, config)]
    raise InputError(f"unsupported calibration source of type {type(source).__name__}",
                     hint="give a folder, a dataset .txt, .npy/.npz, arrays or dicts")
