"""Layer 4: executors — float (NumPy kernels, hookable) and, later, bit-exact integer."""

from npukit.sim.float_executor import FloatExecutor, check_feeds

__all__ = ["FloatExecutor", "check_feeds"]
