"""An opened ``.npk`` file: its manifest and a lazy map of read-only tensors."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from npukit.npk.safetensors_format import DTYPES, Container


class TensorMap(Mapping[str, np.ndarray]):
    """Name → read-only array, created on first access and cached.

    For an unencrypted file each array is an ``np.memmap`` view into the file,
    so opening costs nothing per weight byte and pages load as they are read.
    For an encrypted file the arrays are views into the decrypted bytes held
    in memory.  ``names`` optionally maps public names to names in the file,
    for readers of older format versions that renamed tensors.
    """

    def __init__(self, container: Container, names: Mapping[str, str] | None = None) -> None:
        self._container = container
        self._names = dict(names) if names is not None else {n: n for n in container.entries}
        self._cache: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        array = self._cache.get(name)
        if array is None:
            if name not in self._names:
                raise KeyError(name)
            array = self._container.array(self._names[name])
            array.flags.writeable = False
            self._cache[name] = array
        return array

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def dtype(self, name: str) -> np.dtype:
        """The tensor's dtype, without touching its data."""
        return DTYPES[self._container.entries[self._names[name]].dtype]

    def shape(self, name: str) -> tuple[int, ...]:
        """The tensor's shape, without touching its data."""
        return self._container.entries[self._names[name]].shape

    @property
    def nbytes(self) -> int:
        """Total bytes of all tensors."""
        return sum(self._container.entries[n].nbytes for n in self._names.values())

    def __repr__(self) -> str:
        return f"TensorMap({len(self)} tensors, {self.nbytes} bytes)"


class NpkFile:
    """An opened ``.npk``: ``manifest`` (dict), ``tensors`` (lazy map), ``verify()``.

    ``format_version`` is the version the file was written in; ``manifest`` is
    always in the current layout (a reader for an older version upgrades it).
    """

    def __init__(self, path: Path, manifest: dict[str, Any], tensors: TensorMap,
                 format_version: int, *, encrypted: bool,
                 verifier: Callable[[], None]) -> None:
        self.path = path
        self.manifest = manifest
        self.tensors = tensors
        self.format_version = format_version
        self.encrypted = encrypted
        self._verifier = verifier

    @property
    def target(self) -> str:
        return str(self.manifest["target"])

    @property
    def npukit_version(self) -> str:
        return str(self.manifest.get("npukit_version", "unknown"))

    @property
    def created(self) -> str | None:
        return self.manifest.get("created")

    def verify(self) -> None:
        """Re-hash every tensor byte and compare with the stored checksum.

        Raises :class:`npukit.npk.NpkChecksumError` on a mismatch.  ``read_npk``
        calls this unless ``verify=False``.
        """
        self._verifier()

    def __repr__(self) -> str:
        enc = ", encrypted" if self.encrypted else ""
        return (f"NpkFile({str(self.path)!r}, format_version={self.format_version}, "
                f"target={self.manifest.get('target')!r}, {len(self.tensors)} tensors{enc})")
