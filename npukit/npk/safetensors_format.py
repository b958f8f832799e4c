"""The safetensors container, read and written with NumPy and the stdlib only.

Layout (https://huggingface.co/docs/safetensors): ``u64-LE header length N``,
``N`` bytes of UTF-8 JSON (padded with spaces to a multiple of 8), then the raw
little-endian tensor bytes.  Every header entry except ``__metadata__`` is a
tensor ``{"dtype", "shape", "data_offsets": [begin, end]}`` with offsets
relative to the start of the data section.

The parser treats its input as hostile: every length and offset is checked
before it is used, the tensors must tile the data section exactly (no gaps,
overlaps or trailing bytes, as the reference implementation requires), and no
code is ever executed.  The writer lays tensors out as the reference writer
does (larger dtypes first, then by name) so each one is aligned to its item
size when the data section starts on an 8-byte boundary.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from npukit.npk.errors import NpkFormatError, NpkTruncatedError, corrupt_hint

MAX_HEADER_BYTES = 100_000_000  # the reference implementation's limit
MAX_RANK = 64
MAX_JSON_DEPTH = 100  # far below the interpreter's recursion limit

DTYPES: dict[str, np.dtype] = {
    "BOOL": np.dtype("bool"),
    "U8": np.dtype("<u1"), "I8": np.dtype("<i1"),
    "U16": np.dtype("<u2"), "I16": np.dtype("<i2"), "F16": np.dtype("<f2"),
    "U32": np.dtype("<u4"), "I32": np.dtype("<i4"), "F32": np.dtype("<f4"),
    "U64": np.dtype("<u8"), "I64": np.dtype("<i8"), "F64": np.dtype("<f8"),
}
_CODES = {(dt.kind, dt.itemsize): code for code, dt in DTYPES.items()}


def dtype_code(dtype: np.dtype) -> str | None:
    """The safetensors code of a NumPy dtype, or None if it has none we support."""
    return _CODES.get((dtype.kind, dtype.itemsize))


@dataclass(frozen=True)
class TensorEntry:
    """One tensor's header entry, offsets relative to the data section."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * DTYPES[self.dtype].itemsize


@dataclass(frozen=True, eq=False)
class Container:
    """A parsed, bounds-checked safetensors file over a uint8 buffer."""

    path: Path
    buffer: np.ndarray  # uint8: a read-only np.memmap of the file, or decrypted bytes
    data_start: int
    entries: dict[str, TensorEntry]  # sorted by name
    metadata: dict[str, str]

    def array(self, name: str) -> np.ndarray:
        """A read-only view of tensor ``name`` (no copy; a memmap if the buffer is)."""
        e = self.entries[name]
        raw = self.buffer[self.data_start + e.start:self.data_start + e.end]
        return raw.view(DTYPES[e.dtype]).reshape(e.shape)


# ---------------------------------------------------------------- reading


def _fail(path: Path, what: str) -> NpkFormatError:
    return NpkFormatError(f"{path}: {what}", hint=corrupt_hint())


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 1), computed without recursion."""
    depth, level = 0, [value]
    while level:
        depth += 1
        level = [c for x in level if isinstance(x, (dict, list))
                 for c in (x.values() if isinstance(x, dict) else x)]
    return depth


def strict_json(text: str | bytes) -> Any:
    """``json.loads`` that rejects duplicate keys, NaN/Infinity and deep nesting."""
    value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    if json_depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def parse_container(buffer: np.ndarray, path: Path) -> Container:
    """Parse and validate the safetensors structure in ``buffer`` (uint8, 1-D)."""
    size = int(buffer.size)
    if size < 8:
        raise _fail(path, f"too short to be an .npk file ({size} bytes; at least 8 needed)")
    n = int.from_bytes(bytes(buffer[:8]), "little")
    if n > MAX_HEADER_BYTES or n < 2:
        raise _fail(path, f"not an .npk file: its header length field says {n} bytes, "
                    f"which is absurd (limit {MAX_HEADER_BYTES})")
    if n > size - 8:
        raise _fail(path, f"not an .npk file, or truncated: the header length field says "
                    f"{n} bytes but only {size - 8} follow it")
    try:
        header = strict_json(bytes(buffer[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise _fail(path, f"not an .npk file: its header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise _fail(path, "not an .npk file: its header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
            isinstance(v, str) for v in metadata.values()):
        raise _fail(path, "header '__metadata__' must map strings to strings")
    entries = {name: _entry(path, name, spec) for name, spec in sorted(header.items())}
    _check_tiling(path, entries, size - 8 - n)
    return Container(path, buffer, 8 + n, entries, metadata)


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _entry(path: Path, name: str, spec: Any) -> TensorEntry:
    where = f"tensor {name!r}"
    if not isinstance(spec, dict) or not {"dtype", "shape", "data_offsets"} <= spec.keys():
        raise _fail(path, f"{where}: header entry needs 'dtype', 'shape' and 'data_offsets'")
    dtype, shape, offsets = spec["dtype"], spec["shape"], spec["data_offsets"]
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise _fail(path, f"{where}: unknown or unsupported dtype {dtype!r} "
                    f"(npukit reads {', '.join(DTYPES)})")
    if (not isinstance(shape, list) or len(shape) > MAX_RANK
            or not all(_is_int(d) and d >= 0 for d in shape)):
        raise _fail(path, f"{where}: shape {shape!r} is not a list of at most {MAX_RANK} "
                    "non-negative integers")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(_is_int(o) and o >= 0 for o in offsets) or offsets[0] > offsets[1]):
        raise _fail(path, f"{where}: data_offsets {offsets!r} is not [begin, end] "
                    "with 0 <= begin <= end")
    return TensorEntry(name, dtype, tuple(shape), offsets[0], offsets[1])


def _check_tiling(path: Path, entries: dict[str, TensorEntry], data_len: int) -> None:
    """The tensors must cover ``[0, total)`` exactly, and ``total`` must be the data size."""
    problem, expected = None, 0
    for e in sorted(entries.values(), key=lambda e: (e.start, e.end, e.name)):
        if e.end - e.start != e.nbytes:
            problem = (f"tensor {e.name!r}: data_offsets [{e.start}, {e.end}) hold "
                       f"{e.end - e.start} bytes but {e.dtype}{list(e.shape)} needs {e.nbytes}")
            break
        if e.start != expected:
            problem = (f"tensor {e.name!r}: data_offsets [{e.start}, {e.end}) "
                       f"{'overlap' if e.start < expected else 'leave a gap after'} "
                       f"the previous tensor (which ends at {expected})")
            break
        expected = e.end
    if problem is None:
        if expected > data_len:
            raise NpkTruncatedError(
                f"{path}: truncated: the header describes {expected} bytes of tensor data "
                f"but only {data_len} are present", hint=corrupt_hint())
        if expected < data_len:
            raise _fail(path, f"{data_len - expected} unexpected bytes after the last tensor")
        return
    outside = [e for e in entries.values() if e.end > data_len]
    if outside:
        e = outside[0]
        raise _fail(path, f"tensor {e.name!r}: data_offsets [{e.start}, {e.end}) lie outside "
                    f"the file's {data_len}-byte data section")
    raise _fail(path, problem)


# ---------------------------------------------------------------- writing


def plan_layout(arrays: dict[str, np.ndarray]) -> list[TensorEntry]:
    """Data-section layout: larger item sizes first, then by name (aligns every tensor)."""
    order = sorted(arrays, key=lambda k: (-arrays[k].dtype.itemsize, k))
    layout, offset = [], 0
    for name in order:
        a = arrays[name]
        code = dtype_code(a.dtype)
        assert code is not None, name  # the writer checked every dtype
        layout.append(TensorEntry(name, code, tuple(a.shape), offset, offset + a.nbytes))
        offset += a.nbytes
    return layout


def encode_header(metadata: dict[str, str], layout: list[TensorEntry]) -> bytes:
    """``u64-LE length`` + JSON header, padded with spaces so the data starts 8-aligned."""
    header: dict[str, Any] = {"__metadata__": metadata}
    for e in layout:
        header[e.name] = {"dtype": e.dtype, "shape": list(e.shape),
                          "data_offsets": [e.start, e.end]}
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text
