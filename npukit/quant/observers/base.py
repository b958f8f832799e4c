"""The observer contract: streaming statistics of one tensor during calibration.

An observer sees a tensor once per calibration batch (``update``) and keeps a
bounded summary (a running min/max, a fixed-size histogram); it never keeps the
activations themselves.  ``range()`` turns the summary into a float range
``(lo, hi)``; turning a range into a scale and zero point is the scheme's job.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from npukit.errors import NpukitError

Range = tuple[float, float]


class Observer(ABC):
    """Base class: ``update`` per batch, ``range`` at the end, ``reset`` to start over."""

    name: ClassVar[str] = "observer"

    def __init__(self) -> None:
        self.batches = 0

    @abstractmethod
    def update(self, x: np.ndarray) -> None:
        """Fold one batch of the tensor into the statistics."""

    @abstractmethod
    def range(self) -> Any:
        """The float range ``(lo, hi)`` chosen from everything seen so far."""

    def reset(self) -> None:
        """Forget everything seen."""
        self.__init__(**self.options())  # type: ignore[misc]

    def options(self) -> dict[str, Any]:
        """The constructor arguments, so an observer can be re-made or reported."""
        return {}

    def merge(self, other: Observer) -> None:
        """Fold another observer's statistics into this one (e.g. from another worker)."""
        raise NpukitError(f"observer {self.name!r} cannot merge statistics",
                          hint="calibrate in one process, or use 'minmax' / a histogram observer")

    def _check_merge(self, other: Observer) -> bool:
        """True if ``other`` has data to merge; raise if it is a different kind."""
        if type(other) is not type(self):
            raise NpukitError(f"cannot merge a {other.name!r} observer into a {self.name!r} one")
        return other.batches > 0

    def _need_data(self) -> None:
        if self.batches == 0:
            raise NpukitError(f"observer {self.name!r} has seen no data",
                              hint="run calibration (update) before asking for a range")

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options().items())
        return f"{type(self).__name__}({opts})"


def as_float(x: np.ndarray) -> np.ndarray:
    """The batch as a float32 array (no copy when it already is one)."""
    return np.asarray(x, dtype=np.float32)


def finite_minmax(x: np.ndarray, who: str) -> Range:
    """Min and max of ``x``; raise if they are not finite (nan/inf in the data)."""
    lo, hi = float(np.min(x)), float(np.max(x))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise NpukitError(f"observer {who!r}: the tensor holds non-finite values "
                          f"(min {lo}, max {hi})",
                          hint="check the calibration inputs and their normalisation")
    return lo, hi
