"""Dynamic AIPP parameters as an extra model input, the way the Ascend runtime takes them.

One parameter set is a fixed-size byte record: every field of ``config.FIELDS``
in that order as a little-endian float64 — integers and floats as themselves
(exact: every allowed value has fewer than 53 bits), booleans as 0 / 1, a
choice as its index, and NaN for a field the set leaves out.  A batch is
``uint8[N, RECORD_BYTES]``.  Decoding validates like any config, so a corrupt
record is an ``AippError``, never a wrong picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from npukit.preprocess.config import _SPEC, FIELDS, AippConfig, AippError, from_dict, to_dict

RECORD_BYTES = 8 * len(FIELDS)
NAME = "aipp_params"


def _encode_value(name: str, value: Any) -> float:
    kind = _SPEC[name][0]
    if isinstance(kind, tuple):
        return float(kind.index(value))
    return float(value)


def encode_params(params: Sequence[AippConfig]) -> np.ndarray:
    """``uint8[N, RECORD_BYTES]`` holding one parameter set per batch item."""
    out = np.full((len(params), len(FIELDS)), np.nan, dtype="<f8")
    for i, cfg in enumerate(params):
        for name, value in to_dict(cfg).items():
            out[i, FIELDS.index(name)] = _encode_value(name, value)
    return out.view(np.uint8).reshape(len(params), RECORD_BYTES)


def _decode_value(name: str, x: float) -> Any:
    kind = _SPEC[name][0]
    if isinstance(kind, tuple):
        if not (x == int(x) and 0 <= x < len(kind)):
            raise AippError(f"parameter record: {name} index {x} is not a choice",
                            rule="dynamic_record")
        return kind[int(x)]
    if kind is bool:
        return bool(x)
    return float(x) if kind is float else int(x) if x == int(x) else x


def decode_params(buf: np.ndarray) -> list[AippConfig]:
    """The parameter sets in ``uint8[N, RECORD_BYTES]`` (validated)."""
    a = np.ascontiguousarray(np.asarray(buf, dtype=np.uint8))
    if a.ndim == 1:
        a = a[None]
    if a.ndim != 2 or a.shape[1] != RECORD_BYTES:
        raise AippError(f"parameter input of shape {a.shape}, expected (N, {RECORD_BYTES})",
                        rule="dynamic_record")
    values = a.view("<f8")
    sets = []
    for row in values:
        if not np.all(np.isnan(row) | np.isfinite(row)):
            raise AippError("parameter record holds an infinite value", rule="dynamic_record")
        fields = {n: _decode_value(n, float(x)) for n, x in zip(FIELDS, row) if not np.isnan(x)}
        sets.append(from_dict(fields))
    return sets
