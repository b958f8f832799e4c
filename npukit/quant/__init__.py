"""Layer 5: quantization — observers, calibration data, streaming calibration."""

from npukit.quant.calib_data import (
    CalibConfig,
    CalibrationSource,
    InputSpec,
    input_specs,
    progress,
)
from npukit.quant.calibrator import CalibrationResult, Calibrator, activation_values, calibrate
from npukit.quant.observers import (
    OBSERVERS,
    ChannelClip,
    EntropyObserver,
    HistogramObserver,
    MinMaxObserver,
    MovingAverageMinMaxObserver,
    MseObserver,
    Observer,
    PercentileObserver,
    PerChannelMinMaxObserver,
    make_observer,
    mse_weight_clip,
)

__all__ = ["OBSERVERS", "CalibConfig", "CalibrationResult", "CalibrationSource", "Calibrator",
           "ChannelClip", "InputSpec", "activation_values", "calibrate", "input_specs",
           "progress", "EntropyObserver", "HistogramObserver",
           "MinMaxObserver", "MovingAverageMinMaxObserver", "MseObserver", "Observer",
           "PerChannelMinMaxObserver", "PercentileObserver", "make_observer", "mse_weight_clip"]
