"""Open an ``.npk`` file with NumPy and the stdlib alone.

Unencrypted files are memory-mapped read-only: opening with ``verify=False``
costs O(header), not O(weights).  Encrypted files are read and decrypted into
memory (``cryptography`` is imported only then).  Every check a file can fail
raises an :class:`NpkError` subclass naming the file and the fix; nothing is
unpickled or executed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from npukit.npk import crypto
from npukit.npk.errors import (
    NpkForeignError,
    NpkFormatError,
    NpkNotFoundError,
    corrupt_hint,
)
from npukit.npk.manifest import FORMAT, METADATA_KEY
from npukit.npk.npkfile import NpkFile
from npukit.npk.safetensors_format import Container, parse_container, strict_json
from npukit.npk.versions import reader_for


def read_npk(path: str | os.PathLike[str], *, key: crypto.KeySpec | None = None,
             verify: bool = True) -> NpkFile:
    """Open the ``.npk`` file ``path``.

    ``key`` decrypts an encrypted file (32 bytes or a :func:`load_key` spec;
    ``NPUKIT_KEY`` is used when it is None and the file is encrypted; a key is
    not needed, and is ignored, for an unencrypted file: see ``.encrypted``).  The
    header, manifest and tensor table are always checked; ``verify=True`` (the
    default) also hashes every tensor byte, ``verify=False`` skips that for an
    O(1) open (call ``.verify()`` later).  Encrypted files are in addition always
    fully authenticated by AES-GCM, whatever ``verify`` says.
    """
    p = Path(path)
    buffer, encrypted = _load(p, key)
    container = parse_container(buffer, p)
    manifest = _manifest(container)
    version = manifest["format_version"]
    npk = reader_for(version, p)(container, manifest, encrypted=encrypted)
    if verify:
        npk.verify()
    return npk


def _load(p: Path, key: crypto.KeySpec | None) -> tuple[np.ndarray, bool]:
    """The file as a uint8 array: a read-only memmap, or decrypted bytes."""
    if not p.exists():
        raise NpkNotFoundError(f"{p}: no such file", hint="check the path")
    if not p.is_file():
        raise NpkNotFoundError(f"{p} is not a regular file", hint="give the path of an .npk file")
    try:
        with open(p, "rb") as f:
            head = f.read(len(crypto.MAGIC))
            if head == crypto.MAGIC:  # read once, without intermediate copies
                blob = bytearray(os.fstat(f.fileno()).st_size)
                f.seek(0)
                del blob[f.readinto(blob):]  # in place: the file may have shrunk
            elif len(head) < len(crypto.MAGIC):
                return np.frombuffer(head, np.uint8), False  # too short: the parser says so
            else:
                return np.memmap(p, dtype=np.uint8, mode="r"), False
    except OSError as e:
        raise NpkNotFoundError(f"cannot read {p}: {e.strerror or e}") from None
    return np.frombuffer(crypto.decrypt(blob, key, p), np.uint8), True


def _manifest(container: Container) -> dict[str, Any]:
    """The frozen envelope: ``__metadata__["npk"]`` → {format, format_version, ...}."""
    p = container.path
    text = container.metadata.get(METADATA_KEY)
    if text is None:
        raise NpkForeignError(
            f"{p}: foreign file: a safetensors file not written by npukit (its metadata has "
            f"no {METADATA_KEY!r} manifest)",
            hint="compile the model with `npukit convert` to get an .npk file")
    try:
        manifest = strict_json(text)
    except (ValueError, RecursionError) as e:
        raise NpkFormatError(f"{p}: the manifest is not valid JSON ({e})",
                             hint=corrupt_hint()) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise NpkForeignError(
            f"{p}: foreign file: its {METADATA_KEY!r} metadata names format {found!r}, "
            f"not {FORMAT!r}", hint="compile the model with `npukit convert`")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise NpkFormatError(f"{p}: the manifest's format_version {version!r} is not an "
                             "integer", hint=corrupt_hint())
    return manifest
