"""Quantization options as data (frozen dataclasses, no string-keyed dicts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from npukit.errors import NpukitError

ACTIVATION_DTYPES = ("int8", "uint8", "int16")
WEIGHT_DTYPES = ("int8", "int4")
PRECISIONS = ("int8", "uint8", "int16", "fp16", "float", "int4")


@dataclass(frozen=True)
class Budget:
    """What the outputs must reach on the analysis inputs (either or both)."""

    cosine: float | None = None
    top1: float | None = None

    def __post_init__(self) -> None:
        if self.cosine is None and self.top1 is None:
            raise NpukitError("a mixed-precision budget needs a cosine or a top-1 agreement")
        for what, v in (("cosine", self.cosine), ("top1", self.top1)):
            if v is not None and not 0.0 <= v <= 1.0:
                raise NpukitError(f"budget {what} must be in [0, 1], got {v}")

    def met(self, reached: Mapping[str, float]) -> bool:
        return (self.cosine is None or reached["cosine"] >= self.cosine) and \
            (self.top1 is None or reached["top1"] >= self.top1)


@dataclass(frozen=True)
class QuantConfig:
    """What to quantize to, and how to pick ranges.

    ``overrides`` maps a node name or an op type to a precision: ``int8`` /
    ``uint8`` / ``int16`` (its output activations), ``int4`` (its weights),
    ``fp16`` (float16 on the NPU's float unit: fp16 tensors and weights, fp32
    accumulation) or ``float`` (float32 on the CPU).  Node names win over op types.
    """

    activations: str = "int8"
    weights: str = "int8"
    per_channel: bool = True
    algo: str = "mse"
    #: per-channel weight clip by quantization MSE (quant/observers/weight_clip.py): on
    #: EfficientNet-Lite0 mean cosine 0.99799 -> 0.99806 and 96 -> 97 % agreement for
    #: ~0.7 s (docs/quantization.md)
    weight_algo: str = "mse"
    symmetric_activations: bool = False
    rounding: str = "half_away_from_zero"
    overrides: Mapping[str, str] = field(default_factory=dict)
    #: cross-layer equalisation of the float graph before calibration
    #: (quant/algorithms/cle.py; exact chains only: no activation or Relu between)
    cle: bool = False
    #: empirical bias correction on ``bias_correction_samples`` calibration samples
    #: (quant/algorithms/bias_correction.py)
    bias_correction: bool = True
    bias_correction_samples: int = 16
    #: ``sequential``: each layer measured behind the corrected layers before it;
    #: ``single``: each layer fed the golden inputs (independent, one pass)
    bias_correction_mode: str = "sequential"
    #: AdaRound: learn per weight whether it rounds up or down so each Conv / Gemm /
    #: MatMul layer's output stays close to the float one, on ``adaround_samples``
    #: calibration samples, ``adaround_iters`` Adam steps per layer
    #: (quant/algorithms/adaround.py); runs before bias correction
    adaround: bool = False
    adaround_samples: int = 16
    adaround_iters: int = 500
    #: ``single``: each layer fitted on the golden float inputs; ``sequential``: on the
    #: quantized model's inputs behind the layers rounded before it
    adaround_mode: str = "single"
    #: per-layer search of each activation's clip range by the error it causes in the
    #: consuming layers' outputs (quant/algorithms/range_search.py); 0 = off
    range_search_samples: int = 0
    #: automatic mixed precision: raise the most sensitive layers until this budget
    #: holds on the first ``mixed_samples`` calibration inputs (quant/mixed.py)
    mixed: Budget | None = None
    mixed_samples: int = 16

    def __post_init__(self) -> None:
        if self.activations not in ACTIVATION_DTYPES:
            raise NpukitError(f"activation dtype {self.activations!r} is not one of "
                              f"{list(ACTIVATION_DTYPES)}")
        if self.weights not in WEIGHT_DTYPES:
            raise NpukitError(f"weight dtype {self.weights!r} is not one of "
                              f"{list(WEIGHT_DTYPES)}")
        if self.weight_algo not in ("minmax", "mse"):
            raise NpukitError(f"weight algorithm {self.weight_algo!r} is not minmax or mse")
        if self.bias_correction_mode not in ("sequential", "single"):
            raise NpukitError(f"bias correction mode {self.bias_correction_mode!r} is not "
                              "sequential or single")
        if self.bias_correction_samples < 1 or self.range_search_samples < 0:
            raise NpukitError("bias_correction_samples must be >= 1 and "
                              "range_search_samples >= 0")
        if self.adaround_mode not in ("single", "sequential"):
            raise NpukitError(f"adaround mode {self.adaround_mode!r} is not single or "
                              "sequential")
        if self.adaround_samples < 1 or self.adaround_iters < 10:
            raise NpukitError(f"adaround_samples must be >= 1 and adaround_iters >= 10, got "
                              f"{self.adaround_samples} and {self.adaround_iters}")
        for key, p in self.overrides.items():
            if p not in PRECISIONS:
                raise NpukitError(f"override for {key!r} asks for {p!r}; precisions are "
                                  f"{list(PRECISIONS)}")
