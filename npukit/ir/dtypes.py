"""Element types of IR values: NumPy dtype names, with short spellings for the text form."""

from __future__ import annotations

import numpy as np

SHORT = {
    "float32": "f32", "float16": "f16", "float64": "f64",
    "int8": "i8", "uint8": "u8", "int16": "i16", "uint16": "u16",
    "int32": "i32", "uint32": "u32", "int64": "i64", "uint64": "u64",
    "bool": "bool", "str": "str",
}
LONG = {v: k for k, v in SHORT.items()}

FLOATS = frozenset({"float16", "float32", "float64"})
INTS = frozenset({"int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"})


def dtype_name(dtype: object) -> str:
    """Canonical dtype name (``"float32"`` …) for a NumPy dtype, type or name."""
    if isinstance(dtype, str) and dtype in LONG:
        return LONG[dtype]
    dt = np.dtype(dtype)  # type: ignore[call-overload]
    if dt.kind in "UO":
        return "str"
    return dt.name


def to_numpy(name: str) -> np.dtype:
    return np.dtype(object) if name == "str" else np.dtype(name)
