"""Layer 5: quantization — observers, calibration data, streaming calibration."""

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

__all__ = ["OBSERVERS", "ChannelClip", "EntropyObserver", "HistogramObserver",
           "MinMaxObserver", "MovingAverageMinMaxObserver", "MseObserver", "Observer",
           "PerChannelMinMaxObserver", "PercentileObserver", "make_observer", "mse_weight_clip"]
