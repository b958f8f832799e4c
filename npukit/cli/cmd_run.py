"""``npukit run MODEL.npk --input NAME=FILE …``: run a compiled model on inputs from files.

A file is a ``.npy`` (or a one-array ``.npz``) holding the input array, or an
image decoded with Pillow, resized to the input's H×W and normalised with the
mean/std/colour stored in the model by ``npukit convert``.  An input compiled
with AIPP takes a raw frame (``.yuv/.nv12/.nv21/.rgb/.bgr/.gray/.raw/.bin``,
its size checked against ``src_image_size``), a uint8 ``.npy``, or an ordinary
image converted to the configured frame format; ``--aipp-params FILE`` gives
a dynamic AIPP model its parameters.  ``NAME=`` may be left out for a
one-input model.  ``--output OUT.npz`` saves the outputs (never overwriting
without ``--force``).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from npukit.errors import InputError, NpukitError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a compiled .npk model on inputs from files")
    p.add_argument("model", help="an .npk file written by `npukit convert`")
    p.add_argument("--input", action="append", default=[], metavar="NAME=FILE",
                   help="an input from a .npy/.npz file or an image (repeatable)")
    p.add_argument("--aipp-params", action="append", default=[], metavar="FILE",
                   help="dynamic AIPP parameters (ATC/TOML aipp_op block) for this run; "
                   "repeat once per batch item to differ per item")
    p.add_argument("--output", metavar="OUT.npz", help="save the outputs here")
    p.add_argument("--raw", action="store_true", help="integer output codes, not float")
    p.add_argument("--key", metavar="FILE", help="key file of an encrypted model")
    p.add_argument("--force", action="store_true", help="overwrite an existing --output")
    p.add_argument("--json", action="store_true", help="print the outputs as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from npukit.runtime import Runtime
    if args.output and Path(args.output).exists() and not args.force:
        raise NpukitError(f"{args.output} already exists", hint="pass --force to overwrite it")
    with Runtime(args.model, key=args.key) as rt:
        if args.aipp_params:
            rt.set_aipp(args.aipp_params if len(args.aipp_params) > 1 else args.aipp_params[0])
        feeds = _feeds(rt, args.input)
        outs = rt.run(feeds, raw=args.raw)
    if args.output:
        _save(Path(args.output), outs)
    if args.json:
        print(json.dumps({n: {"shape": list(a.shape), "dtype": str(a.dtype),
                              "values": a.tolist()} for n, a in outs.items()}, indent=2))
    else:
        print(_format(outs))
    return 0


def _feeds(rt: Any, specs: list[str]) -> dict[str, np.ndarray]:
    names = [t.name for t in rt.inputs if t.name not in rt.optional_inputs]
    out: dict[str, np.ndarray] = {}
    for spec in specs:
        name, sep, file = spec.partition("=")
        if not sep:
            if len(names) != 1:
                raise InputError(f"--input {spec!r} needs NAME=FILE: the model has inputs "
                                 f"{names}")
            name, file = names[0], spec
        info = next((t for t in rt.inputs if t.name == name), None)
        if info is None:
            raise InputError(f"--input {name!r}: the model has no such input; its inputs "
                             f"are {names}")
        stage = rt.aipp.get(name)
        out[name] = _frame(Path(file), info, stage) if stage is not None else \
            _load(Path(file), info, rt.manifest.get("preprocess") or {})
    missing = [n for n in names if n not in out]
    if missing:
        raise InputError(f"no --input for {missing}", hint="add --input NAME=FILE")
    return out


def _load(path: Path, info: Any, pre: dict[str, Any]) -> np.ndarray:
    if not path.is_file():
        raise InputError(f"input file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            keys = list(z.keys())
            key = info.name if info.name in keys else (keys[0] if len(keys) == 1 else None)
            if key is None:
                raise InputError(f"{path} holds {keys}; name an array {info.name!r} or "
                                 "keep one array per file")
            return z[key]
    if suffix in IMAGE_SUFFIXES:
        return _image(path, info, pre)
    raise InputError(f"input file {path}: expected .npy, .npz or an image "
                     f"({', '.join(IMAGE_SUFFIXES)})")


def _frame(path: Path, info: Any, stage: Any) -> np.ndarray:
    """One raw frame for an AIPP input, repeated over the batch (dynamic: in its buffer)."""
    from npukit.preprocess import read_image_rgb
    from npukit.preprocess.stage import RAW_SUFFIXES
    if not path.is_file():
        raise InputError(f"input file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".npy", ".npz"):
        return _load(path, info, {})
    if suffix not in RAW_SUFFIXES + IMAGE_SUFFIXES:
        raise InputError(f"input file {path}: expected a raw frame ({', '.join(RAW_SUFFIXES)}),"
                         f" an image ({', '.join(IMAGE_SUFFIXES)}) or .npy/.npz")
    frame = stage.frame_from_file(path, read_image=read_image_rgb)
    if stage.cfg.dynamic:                   # the frame at the start of the byte buffer
        buf = np.zeros(stage.cfg.max_src_image_size, np.uint8)
        buf[:frame.size] = frame.reshape(-1)
        frame = buf
    return np.repeat(frame[None], info.shape[0], axis=0)


def _image(path: Path, info: Any, pre: dict[str, Any]) -> np.ndarray:
    from npukit.quant.calib_data import CalibConfig, InputSpec
    from npukit.quant.calib_files import decode_image
    layout = info.layout if info.layout in ("NCHW", "NHWC") else "NCHW"
    cfg = CalibConfig(mean=pre.get("mean", 0.0), std=pre.get("std", 1.0),
                      color=pre.get("color", "RGB"), layout=layout)
    img = decode_image(path, InputSpec(info.name, info.shape, info.dtype), 0, cfg)
    batch = info.shape[0] if info.shape else 1
    return np.repeat(img, batch, axis=0) if batch > 1 else img


def _save(path: Path, outs: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(f".{path.name}.tmp.npz")
    try:
        np.savez(tmp, **outs)
        os.replace(tmp, path)
    except OSError as e:
        raise NpukitError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def _format(outs: dict[str, np.ndarray]) -> str:
    lines = []
    for name, a in outs.items():
        lines.append(f"{name}: {a.dtype} {list(a.shape)}")
        flat = a.reshape(a.shape[0], -1) if a.ndim > 1 else a.reshape(1, -1)
        for b, row in enumerate(flat[:4]):
            if row.size <= 16:
                lines.append(f"  [{b}] " + " ".join(f"{v:.5g}" for v in row))
            else:
                top = np.argsort(row)[::-1][:5]
                lines.append(f"  [{b}] top-5: " + ", ".join(f"{i}={row[i]:.5g}" for i in top))
    return "\n".join(lines)
