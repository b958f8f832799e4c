"""The I/O signature stored in an ``.npk``: names, shapes, dtypes, layout, quant params.

Shapes are in the *declared* layout: ``NCHW`` (the model's own) unless the
caller declared an input ``NHWC``, in which case the runtime accepts NHWC
arrays and transposes them to the model's NCHW (a copy).
"""

from __future__ import annotations

from typing import Any, Mapping

from npukit.errors import NpukitError
from npukit.program import Program
from npukit.sim.lower import int_name

LAYOUTS = ("NCHW", "NHWC")


def _entry(program: Program, name: str, layout: str) -> dict[str, Any]:
    spec = program.values[name]
    shape = list(spec.shape)
    if layout == "NHWC":
        if len(shape) != 4:
            raise NpukitError(f"input {name!r} has rank {len(shape)}; only 4-D inputs can be "
                              "declared NHWC")
        shape = [shape[0], shape[2], shape[3], shape[1]]
    q = program.values.get(int_name(name))
    return {"name": name, "shape": shape, "dtype": spec.dtype, "layout": layout,
            "model_layout": "NCHW" if len(spec.shape) == 4 else "ND",
            "quant": None if q is None or q.quant is None else q.quant.to_json(),
            "quant_name": int_name(name) if q is not None else None}


def io_signature(program: Program, layouts: Mapping[str, str] | None = None
                 ) -> dict[str, Any]:
    """``{"inputs": [...], "outputs": [...]}`` for ``program``."""
    layouts = dict(layouts or {})
    for name, lay in layouts.items():
        if name not in program.inputs:
            raise NpukitError(f"layout declared for {name!r}, which is not an input; the "
                              f"inputs are {program.inputs}")
        if lay not in LAYOUTS:
            raise NpukitError(f"layout {lay!r} for input {name!r} is not one of {LAYOUTS}")

    def default(name: str) -> str:
        return "NCHW" if len(program.values[name].shape) == 4 else "ND"

    return {"inputs": [_entry(program, n, layouts.get(n) or default(n))
                       for n in program.inputs],
            "outputs": [_entry(program, n, default(n)) for n in program.outputs]}
