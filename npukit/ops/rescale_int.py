"""Moving codes from one value's quant params to another's (docs/numerics.md §"elementwise").

Data-movement ops share their input's params (quant rule ``same_as_input``), so
their integer kernels only move codes.  When a value's params were set
otherwise (a per-tensor override, hand-set params), the moved codes are
rescaled once: ``y = requantize(q − in_zp, M, shift, out_zp)`` with
``M·2^(shift−31) ≈ s_in / s_out`` — one rounding, the target's mode.  The
rescale is stored as plain JSON ints in the record's attrs (``None`` = the
params are equal and codes pass through unchanged, bit for bit).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npukit.ir import QuantParams
from npukit.numerics.fixedpoint import quantize_multiplier, requantize, requantize_ref

Rescale = dict[str, Any]


def rescale_attrs(qin: QuantParams, qout: QuantParams, mode: str,
                  bounds: tuple[int, int] | None = None) -> Rescale | None:
    """The rescale from ``qin`` to ``qout`` (clamped to ``bounds``), or None if identity."""
    if qin.same_as(qout) and (bounds is None or bounds == (qout.qmin, qout.qmax)):
        return None
    mult, shift = quantize_multiplier(np.float64(qin.scale[0]) / np.float64(qout.scale[0]))
    lo, hi = bounds if bounds is not None else (qout.qmin, qout.qmax)
    return {"in_zp": int(qin.zero_point[0]), "out_zp": int(qout.zero_point[0]),
            "out_dtype": qout.dtype, "multiplier": int(mult), "shift": int(shift),
            "clamp_min": int(lo), "clamp_max": int(hi), "rounding": mode}


def rescale(q: np.ndarray, r: Rescale | None, ref: bool = False) -> np.ndarray:
    """Codes ``q`` moved to the output params (``requantize_ref`` when ``ref``)."""
    if r is None:
        return q
    fn = requantize_ref if ref else requantize
    return fn(np.asarray(q).astype(np.int64) - r["in_zp"], r["multiplier"], r["shift"],
              r["out_zp"], r["out_dtype"], r["rounding"], r["clamp_min"], r["clamp_max"])


def per_tensor(*qs: QuantParams) -> bool:
    """True when every params object is per-tensor (activations must be)."""
    return all(not q.per_channel for q in qs)
