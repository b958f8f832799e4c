"""The ``.npk`` manifest: reserved fields, canonical JSON and the SHA-256 checksum.

The manifest is a JSON object stored as the string ``__metadata__["npk"]`` of
the safetensors header.  The writer owns ``format``, ``format_version``,
``npukit_version``, ``created`` and ``checksum``; the caller supplies
``target`` and any number of free-form JSON sections (program, quant params,
preprocessing, memory plan, io signature ...).

``checksum`` is ``{"algorithm": "sha256", "manifest": H1, "tensors": H2}``:

* ``H1`` = SHA-256(``b"npukit-npk:manifest:1\\n"`` + canonical JSON of
  ``{"manifest": <manifest without checksum and created>,
  "tensors": {name: {"dtype": code, "shape": [...]}}}``).  It covers every
  header byte that can change a result and is cheap, so it is checked at open.
* ``H2`` = SHA-256(``b"npukit-npk:tensors:1\\n"`` + for each tensor in name
  order: name, dtype code, shape and raw bytes, each length-prefixed).  It
  covers the weights; checking it reads the whole file (see ``docs/npk-format.md``).

Canonical JSON = ``json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=True, allow_nan=False)``, so other languages can reproduce it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import numpy as np

from npukit.npk.errors import NpkWriteError
from npukit.npk.safetensors_format import MAX_JSON_DEPTH, json_depth

FORMAT = "npukit-npk"
FORMAT_VERSION = 1
METADATA_KEY = "npk"
ALGORITHM = "sha256"
WRITER_FIELDS = ("format", "format_version", "npukit_version", "created", "checksum")
UNCHECKED_FIELDS = ("checksum", "created")

_MANIFEST_DOMAIN = b"npukit-npk:manifest:1\n"
_TENSORS_DOMAIN = b"npukit-npk:tensors:1\n"
_CREATED = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")
_HEX64 = re.compile(r"[0-9a-f]{64}")

Shape = tuple[int, ...]


def canonical_json(obj: Any) -> bytes:
    """The one byte string a JSON value hashes as."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def normalise_sections(sections: dict[str, Any]) -> dict[str, Any]:
    """Check the caller's manifest and return its JSON round trip (tuples → lists ...)."""
    if not isinstance(sections, dict):
        raise NpkWriteError(f"manifest must be a dict of JSON sections, not "
                            f"{type(sections).__name__}")
    for key in sections:
        if key in WRITER_FIELDS:
            raise NpkWriteError(f"manifest key {key!r} is set by the writer",
                                hint=f"remove {key!r} from the manifest you pass")
        if not isinstance(key, str):
            raise NpkWriteError(f"manifest keys must be strings, got {key!r}")
    if not isinstance(sections.get("target"), str) or not sections["target"]:
        raise NpkWriteError("manifest needs 'target', the name of the target profile "
                            "the model was compiled for", hint="e.g. manifest['target'] = "
                            "'rk3588'; use 'generic' for a target-independent file")
    out: dict[str, Any] = {}
    for key, value in sections.items():
        try:
            out[key] = json.loads(canonical_json(value))
            if json_depth(out[key]) >= MAX_JSON_DEPTH:
                raise ValueError(f"nested deeper than {MAX_JSON_DEPTH - 1} levels")
        except (TypeError, ValueError, RecursionError) as e:
            raise NpkWriteError(f"manifest section {key!r} is not JSON-serialisable: {e}",
                                hint="convert NumPy values with .tolist() or float(); "
                                "NaN and infinity are not allowed") from None
    return out


def now_iso() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def valid_created(value: Any) -> bool:
    """True if ``value`` is an ISO-8601 timestamp with a zone (strictly checked)."""
    if not isinstance(value, str) or not _CREATED.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def valid_checksum(value: Any) -> bool:
    """True if ``value`` has the shape of a version-1 checksum field."""
    return (isinstance(value, dict) and set(value) == {"algorithm", "manifest", "tensors"}
            and value["algorithm"] == ALGORITHM
            and all(isinstance(value[k], str) and _HEX64.fullmatch(value[k])
                    for k in ("manifest", "tensors")))


def manifest_digest(manifest: dict[str, Any], table: Iterable[tuple[str, str, Shape]]) -> str:
    """``H1``: the manifest (minus checksum and created) and the tensor table."""
    body = {k: v for k, v in manifest.items() if k not in UNCHECKED_FIELDS}
    tensors = {name: {"dtype": code, "shape": list(shape)} for name, code, shape in table}
    return hashlib.sha256(_MANIFEST_DOMAIN
                          + canonical_json({"manifest": body, "tensors": tensors})).hexdigest()


def _frame(h: Any, data: bytes) -> None:
    h.update(len(data).to_bytes(8, "little"))
    h.update(data)


def tensors_digest(items: Iterable[tuple[str, str, Shape, np.ndarray]]) -> str:
    """``H2``: every tensor's name, dtype code, shape and bytes, in name order.

    ``items`` yields ``(name, code, shape, raw)`` with ``raw`` a contiguous uint8
    array of the tensor's little-endian bytes.
    """
    h = hashlib.sha256(_TENSORS_DOMAIN)
    for name, code, shape, raw in sorted(items, key=lambda t: t[0]):
        _frame(h, name.encode("utf-8"))
        _frame(h, code.encode("ascii"))
        h.update(len(shape).to_bytes(8, "little"))
        for d in shape:
            h.update(int(d).to_bytes(8, "little"))
        h.update(int(raw.size).to_bytes(8, "little"))
        h.update(memoryview(raw))
    return h.hexdigest()
