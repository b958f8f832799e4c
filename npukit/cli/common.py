"""Argument helpers shared by verbs."""

from __future__ import annotations

from npukit.errors import NpukitError


def parse_input_shapes(specs: list[str]) -> dict[str, list[int]]:
    """``["data:1,3,224,224"]`` → ``{"data": [1, 3, 224, 224]}``."""
    out: dict[str, list[int]] = {}
    for spec in specs:
        name, sep, dims = spec.rpartition(":")
        try:
            if not sep or not name:
                raise ValueError
            out[name] = [int(d) for d in dims.split(",")]
        except ValueError:
            raise NpukitError(f"--input-shape {spec!r} is not NAME:D0,D1,…",
                              hint="for example --input-shape data:1,3,224,224") from None
    return out
