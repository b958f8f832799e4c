"""Observers: streaming statistics of a tensor that choose its float range.

Registered by name (``OBSERVERS``); ``make_observer("kl", levels=256)`` builds one.
"""

from __future__ import annotations

from typing import Any

from npukit.errors import NpukitError
from npukit.quant.observers.base import Observer, Range
from npukit.quant.observers.entropy import EntropyObserver
from npukit.quant.observers.histogram import HistogramObserver
from npukit.quant.observers.minmax import MinMaxObserver
from npukit.quant.observers.moving_average import MovingAverageMinMaxObserver
from npukit.quant.observers.mse import MseObserver
from npukit.quant.observers.per_channel import PerChannelMinMaxObserver
from npukit.quant.observers.percentile import PercentileObserver
from npukit.quant.observers.weight_clip import ChannelClip, mse_weight_clip

OBSERVERS: dict[str, type[Observer]] = {
    "minmax": MinMaxObserver,
    "moving_minmax": MovingAverageMinMaxObserver,
    "percentile": PercentileObserver,
    "kl": EntropyObserver,
    "mse": MseObserver,
    "histogram": HistogramObserver,
    "per_channel_minmax": PerChannelMinMaxObserver,
}


def make_observer(name: str, **opts: Any) -> Observer:
    """A new observer by registered name; unknown names or options raise a clear error."""
    cls = OBSERVERS.get(name)
    if cls is None:
        raise NpukitError(f"unknown observer {name!r}",
                          hint=f"choose one of {sorted(OBSERVERS)}")
    try:
        return cls(**opts)
    except TypeError as e:
        raise NpukitError(f"bad options {sorted(opts)} for observer {name!r}: {e}") from None


__all__ = ["OBSERVERS", "ChannelClip", "EntropyObserver", "HistogramObserver",
           "MinMaxObserver", "MovingAverageMinMaxObserver", "MseObserver", "Observer",
           "PerChannelMinMaxObserver", "PercentileObserver", "Range", "make_observer",
           "mse_weight_clip"]
