"""Execution devices: ``register_device(name, factory)``; ``"sim"`` is built in.

A device factory takes a :class:`npukit.program.Program` and returns a
session with ``run(feeds, keep) -> {name: array}`` (the program's outputs
plus the values named in ``keep``) and ``close()``.  ``"sim"`` is the
bit-exact program executor — the same engine the simulator uses, which is
why the runtime and the simulator agree to the bit.  A board backend plugs
in by registering its own factory under another name.
"""

from __future__ import annotations

import threading
from typing import Callable, Iterable, Mapping, Protocol

import numpy as np

from npukit.errors import NpukitError
from npukit.program import Program
from npukit.sim.program_executor import ProgramExecutor


class DeviceSession(Protocol):
    def run(self, feeds: Mapping[str, np.ndarray], keep: Iterable[str] = ()
            ) -> dict[str, np.ndarray]: ...

    def close(self) -> None: ...


DeviceFactory = Callable[[Program], DeviceSession]


class SimSession:
    """The bit-exact simulator: a ProgramExecutor (stateless between runs, thread-safe)."""

    def __init__(self, program: Program) -> None:
        self.executor = ProgramExecutor(program)

    def run(self, feeds: Mapping[str, np.ndarray], keep: Iterable[str] = ()
            ) -> dict[str, np.ndarray]:
        return self.executor.run(feeds, keep=keep)

    def close(self) -> None:
        pass


_DEVICES: dict[str, DeviceFactory] = {"sim": SimSession}
_LOCK = threading.Lock()


def register_device(name: str, factory: DeviceFactory, *, replace: bool = False) -> None:
    """Make ``Runtime(path, device=name)`` run programs through ``factory``."""
    if not name or not isinstance(name, str):
        raise NpukitError(f"device name must be a non-empty string, got {name!r}")
    with _LOCK:
        if name in _DEVICES and not replace:
            raise NpukitError(f"device {name!r} is already registered",
                              hint="pass replace=True to replace it")
        _DEVICES[name] = factory


def unregister_device(name: str) -> None:
    if name == "sim":
        raise NpukitError("the built-in 'sim' device cannot be unregistered")
    with _LOCK:
        _DEVICES.pop(name, None)


def list_devices() -> list[str]:
    return sorted(_DEVICES)


def device_factory(name: str) -> DeviceFactory:
    f = _DEVICES.get(name)
    if f is None:
        raise NpukitError(f"unknown device {name!r}; registered devices: "
                          f"{', '.join(list_devices())}",
                          hint="register a backend with npukit.runtime.register_device")
    return f
