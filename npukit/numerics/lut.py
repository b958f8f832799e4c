"""Lookup tables over a quantized input's whole integer range (docs/numerics.md §5).

NPUs evaluate Sigmoid, Tanh, Swish, HardSwish, GELU, Exp … with a
programmable table indexed by the input code.  The table is built once, in
float64, at compile time and stored with the model, so the simulator and
the chip read the same bytes: bit-exactness does not depend on the libm
that built it.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from npukit.numerics.quantize import quantize
from npukit.numerics.rounding import RoundingMode
from npukit.numerics.saturate import DTypeLike, qdtype_name, qrange

MAX_LUT_BITS = 16

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow for large |x|


LUT_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "Sigmoid": _sigmoid,
    "Tanh": np.tanh,
    "Exp": np.exp,
    "Swish": lambda x: x * _sigmoid(x),
    "HardSigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),  # torch's alpha 1/6
    "HardSwish": lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0,
    "Gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
    "GeluTanh": lambda x: 0.5 * x * (1.0 + np.tanh(
        math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3))),
    "Softplus": lambda x: np.logaddexp(0.0, x),
    "Mish": lambda x: x * np.tanh(np.logaddexp(0.0, x)),
    "Elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
}


def lut_size(in_dtype: DTypeLike) -> int:
    """Number of table entries: every code of ``in_dtype``."""
    lo, hi = qrange(in_dtype)
    return hi - lo + 1


def build_lut(fn: Callable[[np.ndarray], np.ndarray] | str, in_scale: float, in_zp: int,
              in_dtype: DTypeLike, out_scale: float, out_zp: int, out_dtype: DTypeLike,
              mode: RoundingMode) -> np.ndarray:
    """Table ``T`` with ``T[q - qmin] = quantize(fn(in_scale * (q - in_zp)))``.

    ``fn`` is a vectorised float64 function or a name in ``LUT_FUNCTIONS``.
    Inputs up to 16 bits (65536 entries).  Dequantization and ``fn`` run in
    float64; the output is quantized with ``mode`` (a float64 division) and
    saturated to ``out_dtype``.
    """
    if isinstance(fn, str):
        fn = LUT_FUNCTIONS[fn]
    name = qdtype_name(in_dtype)
    lo, hi = qrange(name)
    if hi - lo + 1 > 2**MAX_LUT_BITS:
        raise ValueError(f"no lookup table over {name}: at most {MAX_LUT_BITS}-bit inputs")
    codes = np.arange(lo, hi + 1, dtype=np.int64)
    x = np.float64(in_scale) * (codes - int(in_zp)).astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        y = np.asarray(fn(x), dtype=np.float64)
    if y.shape != x.shape:
        raise ValueError("lookup-table function must be elementwise")
    return quantize(y, np.float64(out_scale), int(out_zp), out_dtype, mode)


def apply_lut(q: np.ndarray, table: np.ndarray, in_dtype: DTypeLike) -> np.ndarray:
    """``table[q - qmin]``: one gather, any shape, output in the table's dtype."""
    lo, _ = qrange(in_dtype)
    if table.ndim != 1 or table.size != lut_size(in_dtype):
        raise ValueError(f"table has {table.size} entries, {qdtype_name(in_dtype)} needs "
                         f"{lut_size(in_dtype)}")
    qa = np.asarray(q)
    if qa.dtype.kind not in "iu":
        raise TypeError(f"apply_lut needs integer codes, got {qa.dtype}")
    idx = qa.astype(np.intp) - lo
    return np.take(table, idx, mode="raise")


def apply_lut_ref(q: np.ndarray, table: np.ndarray, in_dtype: DTypeLike) -> np.ndarray:
    """Reference for ``apply_lut``: index the table one element at a time."""
    lo, _ = qrange(in_dtype)
    qa = np.asarray(q)
    out = np.empty(qa.shape, dtype=table.dtype)
    for idx in np.ndindex(qa.shape):
        out[idx] = table[int(qa[idx]) - lo]
    return out
