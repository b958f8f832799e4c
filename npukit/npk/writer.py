"""Write an ``.npk`` file: manifest + tensors → safetensors (optionally encrypted).

The write is atomic: bytes go to a hidden temporary file in the destination
folder, are flushed to disk, then published under the final name (with a
hard link when not overwriting, so a file created meanwhile is never
clobbered; with ``os.replace`` when ``force=True``).  On any failure the
temporary file is removed and an existing destination is left untouched.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from npukit import __version__
from npukit.npk import crypto
from npukit.npk.errors import NpkExistsError, NpkWriteError
from npukit.npk.manifest import (
    ALGORITHM,
    FORMAT,
    FORMAT_VERSION,
    METADATA_KEY,
    canonical_json,
    manifest_digest,
    normalise_sections,
    now_iso,
    tensors_digest,
)
from npukit.npk.safetensors_format import (
    DTYPES,
    TensorEntry,
    dtype_code,
    encode_header,
    plan_layout,
)


def write_npk(path: str | os.PathLike[str], manifest: dict[str, Any],
              tensors: Mapping[str, np.ndarray], *, key: crypto.KeySpec | None = None,
              force: bool = False, reproducible: bool = False) -> Path:
    """Write ``tensors`` and the manifest ``manifest`` to the ``.npk`` file ``path``.

    ``manifest`` holds ``target`` (str) and free-form JSON sections; the writer
    adds format, version, producer, creation time and checksum.  ``key``
    (bytes or a :func:`npukit.npk.load_key` spec) encrypts the file with
    AES-256-GCM.  ``force`` allows overwriting; ``reproducible`` omits the
    creation time so equal inputs give byte-identical unencrypted files.
    Returns the path written.
    """
    dest = Path(path)
    if dest.is_dir():
        raise NpkWriteError(f"{dest} is a folder", hint="give a file name ending in .npk")
    if dest.exists() and not force:
        raise _exists(dest)
    arrays = _normalise_tensors(tensors)
    sections = normalise_sections(manifest)
    layout = plan_layout(arrays)
    full = _seal(sections, layout, arrays, reproducible)
    header = encode_header({METADATA_KEY: canonical_json(full).decode("ascii")}, layout)

    def payload(f: BinaryIO) -> None:
        f.write(header)
        for e in layout:
            if e.end > e.start:
                f.write(memoryview(_raw(arrays[e.name])))

    if key is None:
        _atomic_write(dest, force, payload)
        return dest
    raw_key = crypto.load_key(key)
    plain = bytearray(len(header) + (layout[-1].end if layout else 0))
    plain[:len(header)] = header
    for e in layout:
        plain[len(header) + e.start:len(header) + e.end] = memoryview(_raw(arrays[e.name]))
    blob = crypto.encrypt(plain, raw_key)
    del plain
    _atomic_write(dest, force, lambda f: f.write(blob))
    return dest


def _exists(dest: Path) -> NpkExistsError:
    return NpkExistsError(f"{dest} already exists",
                          hint="pass force=True (--force on the command line) to overwrite it")


def _raw(a: np.ndarray) -> np.ndarray:
    """The tensor's bytes as a flat uint8 view (``a`` is C-contiguous little-endian)."""
    return a.reshape(-1).view(np.uint8)


def _normalise_tensors(tensors: Mapping[str, Any]) -> dict[str, np.ndarray]:
    if not isinstance(tensors, Mapping):
        raise NpkWriteError(f"tensors must be a mapping of name to array, not "
                            f"{type(tensors).__name__}")
    out: dict[str, np.ndarray] = {}
    for name, value in tensors.items():
        if not isinstance(name, str) or not name or name == "__metadata__":
            raise NpkWriteError(f"invalid tensor name {name!r}",
                                hint="use a non-empty string other than '__metadata__'")
        a = np.asarray(value)
        if dtype_code(a.dtype) is None:
            raise NpkWriteError(f"tensor {name!r} has dtype {a.dtype}, which .npk cannot store",
                                hint="supported: " + ", ".join(str(d) for d in DTYPES.values()))
        out[name] = a.astype(a.dtype.newbyteorder("<"), order="C", copy=False)
    return out


def _seal(sections: dict[str, Any], layout: list[TensorEntry],
          arrays: dict[str, np.ndarray], reproducible: bool) -> dict[str, Any]:
    full: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION,
                            "npukit_version": __version__, **sections}
    if not reproducible:
        full["created"] = now_iso()
    table = [(e.name, e.dtype, e.shape) for e in layout]
    full["checksum"] = {
        "algorithm": ALGORITHM,
        "manifest": manifest_digest(full, table),
        "tensors": tensors_digest((e.name, e.dtype, e.shape, _raw(arrays[e.name]))
                                  for e in layout),
    }
    return full


def _atomic_write(dest: Path, force: bool, fill: Callable[[BinaryIO], Any]) -> None:
    tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as e:
        raise NpkWriteError(f"cannot write {dest}: {e.strerror or e}",
                            hint="check that the folder exists and is writable") from None
    try:
        with os.fdopen(fd, "wb") as f:
            fill(f)
            f.flush()
            os.fsync(f.fileno())
        _publish(tmp, dest, force)
    except OSError as e:
        raise NpkWriteError(f"cannot write {dest}: {e.strerror or e}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _publish(tmp: Path, dest: Path, force: bool) -> None:
    """Give ``tmp`` the name ``dest`` atomically; never clobber unless ``force``."""
    if force:
        os.replace(tmp, dest)
        return
    try:
        os.link(tmp, dest)
    except FileExistsError:
        raise _exists(dest) from None
    except OSError:  # the file system has no hard links
        if dest.exists():
            raise _exists(dest) from None
        os.replace(tmp, dest)
