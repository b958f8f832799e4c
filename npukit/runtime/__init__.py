"""Layer 6: the runtime — load a ``.npk`` and run it with NumPy alone.

    from npukit.runtime import Runtime
    with Runtime("model.npk") as rt:
        out = rt.run({"image": x})

Imports only NumPy, the stdlib and npukit's numpy-only layers (npk, program,
sim's program executor, ops kernels, preprocess for AIPP inputs);
``cryptography`` only when an encrypted model is opened.  See docs/runtime.md.
"""

from npukit.runtime.devices import (
    DeviceSession,
    SimSession,
    list_devices,
    register_device,
    unregister_device,
)
from npukit.runtime.model import MODEL_VERSIONS, CompiledShape, TensorInfo
from npukit.runtime.runtime import Runtime

__all__ = ["MODEL_VERSIONS", "CompiledShape", "DeviceSession", "Runtime", "SimSession",
           "TensorInfo", "list_devices", "register_device", "unregister_device"]
