"""Readers of each ``.npk`` format version, in a registry keyed by ``format_version``.

The envelope is frozen across versions: a safetensors file whose
``__metadata__["npk"]`` is a JSON object with ``"format": "npukit-npk"`` and an
integer ``"format_version"``.  Everything else may change between versions;
the reader registered for a version validates that version's manifest and
checksum and returns an :class:`NpkFile` whose manifest is upgraded to the
current layout.  When version 2 is introduced, version 1's reader stays here
(upgrading its manifest), so old files keep loading.  See docs/npk-format.md.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from npukit import __version__
from npukit.npk.errors import NpkChecksumError, NpkFormatError, NpkVersionError, corrupt_hint
from npukit.npk.manifest import (
    FORMAT_VERSION,
    manifest_digest,
    tensors_digest,
    valid_checksum,
    valid_created,
)
from npukit.npk.npkfile import NpkFile, TensorMap
from npukit.npk.safetensors_format import Container

VersionReader = Callable[..., NpkFile]
"""``reader(container, manifest, *, encrypted) -> NpkFile``."""

_READERS: dict[int, VersionReader] = {}


def register_reader(version: int) -> Callable[[VersionReader], VersionReader]:
    """Decorator: make ``reader`` the one for files of ``format_version == version``."""
    def deco(reader: VersionReader) -> VersionReader:
        _READERS[version] = reader
        return reader
    return deco


def unregister_reader(version: int) -> None:
    """Remove the reader of ``version`` (for tests of the registry)."""
    _READERS.pop(version, None)


def supported_versions() -> list[int]:
    """The format versions this npukit can read."""
    return sorted(_READERS)


def reader_for(version: int, path: Path) -> VersionReader:
    """The registered reader of ``version``, or an error that says what to do."""
    if version > FORMAT_VERSION and version not in _READERS:
        raise NpkVersionError(
            f"{path} is .npk format version {version}, newer than this npukit "
            f"({__version__}) can read (format version {FORMAT_VERSION} and older)",
            hint="upgrade npukit: pip install -U npukit")
    if version not in _READERS:
        raise NpkVersionError(
            f"{path} is .npk format version {version}; this npukit ({__version__}) has "
            f"readers for versions {supported_versions()} only",
            hint="re-create the file with `npukit convert` from the original model")
    return _READERS[version]


def _checksum_error(path: Path, what: str, expected: str, got: str) -> NpkChecksumError:
    return NpkChecksumError(
        f"{path}: checksum mismatch in the {what} (sha256 {expected[:16]}… stored, "
        f"{got[:16]}… computed): the file is corrupt or was edited", hint=corrupt_hint())


@register_reader(1)
def read_v1(container: Container, manifest: dict[str, Any], *, encrypted: bool) -> NpkFile:
    """Format version 1: the manifest digest is checked now, tensor bytes by verify()."""
    path = container.path
    problems = [name for name, ok in (
        ("npukit_version", isinstance(manifest.get("npukit_version"), str)),
        ("target", isinstance(manifest.get("target"), str)),
        ("checksum", valid_checksum(manifest.get("checksum"))),
        ("created", "created" not in manifest or valid_created(manifest["created"])),
    ) if not ok]
    if problems:
        raise NpkFormatError(f"{path}: manifest field(s) {', '.join(problems)} missing or "
                             "malformed", hint=corrupt_hint())
    checksum = manifest["checksum"]
    entries = container.entries
    got = manifest_digest(manifest, ((e.name, e.dtype, e.shape) for e in entries.values()))
    if got != checksum["manifest"]:
        raise _checksum_error(path, "manifest and tensor table", checksum["manifest"], got)

    def verify() -> None:
        start = container.data_start
        digest = tensors_digest(
            (e.name, e.dtype, e.shape, container.buffer[start + e.start:start + e.end])
            for e in entries.values())
        if digest != checksum["tensors"]:
            raise _checksum_error(path, "tensor data", checksum["tensors"], digest)

    return NpkFile(path, manifest, TensorMap(container), 1, encrypted=encrypted,
                   verifier=verify)
