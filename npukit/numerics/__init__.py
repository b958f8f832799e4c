"""Layer 1: the integer arithmetic every quantized kernel shares.

The written contract is ``docs/numerics.md``.  Each module has one concern;
every fast integer routine has a slow reference next to it that defines it.
"""

from npukit.numerics.fixedpoint import (
    multiplier_to_float,
    quantize_multiplier,
    requantize,
    requantize_ref,
)
from npukit.numerics.gemm import int_matmul, int_matmul_ref
from npukit.numerics.lut import LUT_FUNCTIONS, apply_lut, apply_lut_ref, build_lut
from npukit.numerics.pool import rounding_divide, rounding_divide_ref
from npukit.numerics.quantize import choose_qparams, dequantize, quantize
from npukit.numerics.rounding import (
    RoundingMode,
    round_div_ref,
    round_float,
    rounding_rshift,
    rounding_rshift_fast,
)
from npukit.numerics.saturate import (
    QDTYPES,
    clamp_bounds,
    fused_activation_bounds,
    qdtype_name,
    qrange,
    saturate,
    storage_dtype,
)

__all__ = [
    "LUT_FUNCTIONS", "QDTYPES", "RoundingMode", "apply_lut", "apply_lut_ref", "build_lut",
    "choose_qparams", "clamp_bounds", "dequantize", "fused_activation_bounds", "int_matmul",
    "int_matmul_ref", "multiplier_to_float", "qdtype_name", "qrange", "quantize",
    "quantize_multiplier", "requantize", "requantize_ref", "round_div_ref", "round_float",
    "rounding_divide", "rounding_divide_ref", "rounding_rshift", "rounding_rshift_fast",
    "saturate", "storage_dtype",
]
