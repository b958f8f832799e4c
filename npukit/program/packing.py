"""Weight packing in an ``.npk``: how a stored tensor maps back to a record tensor.

``int4x2``: signed 4-bit values, two per byte, element ``2k`` in the low
nibble and ``2k+1`` in the high nibble of byte ``k`` (an odd count pads the
last high nibble with 0).  Records keep their tensors as int8 in memory; the
runtime unpacks at load.  The manifest's ``packing`` section maps each packed
tensor name to ``{"format": "int4x2", "dtype": "int8", "shape": [...]}``.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

INT4X2 = "int4x2"


def pack_int4(a: np.ndarray) -> np.ndarray:
    """int8 values in [-8, 7] → uint8 bytes, two per byte (flat)."""
    flat = np.asarray(a).reshape(-1)
    if flat.size and (flat.min() < -8 or flat.max() > 7):
        raise ValueError("int4 packing needs values in [-8, 7]")
    nib = (flat.astype(np.int16) & 0xF).astype(np.uint8)
    if nib.size % 2:
        nib = np.concatenate([nib, np.zeros(1, np.uint8)])
    return (nib[0::2] | (nib[1::2] << 4)).astype(np.uint8)


def unpack_int4(packed: np.ndarray, shape: tuple[int, ...] | list[int]) -> np.ndarray:
    """The inverse of :func:`pack_int4`: an int8 array of ``shape``."""
    b = np.asarray(packed, np.uint8).reshape(-1)
    nib = np.empty(b.size * 2, np.uint8)
    nib[0::2] = b & 0xF
    nib[1::2] = b >> 4
    n = int(np.prod(shape, dtype=np.int64))
    vals = nib[:n].astype(np.int8)
    vals[vals > 7] -= 16
    return vals.reshape(tuple(shape))


def unpack(stored: np.ndarray, spec: Mapping[str, Any]) -> np.ndarray:
    """A stored tensor in its in-memory form, per its ``packing`` entry."""
    if spec.get("format") != INT4X2:
        raise ValueError(f"unknown packing format {spec.get('format')!r}")
    return unpack_int4(stored, spec["shape"])
