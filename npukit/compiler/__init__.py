"""Layer 6: the compiler — placement, lowering, memory plan, weight packing, ``.npk``.

``compile_model(qmodel, "rk3588", "m.npk")`` → :class:`CompileResult`.
"""

from npukit.compiler.compile import MODEL_VERSION, CompileResult, compile_model
from npukit.compiler.memory_plan import MemoryPlan, plan_memory

__all__ = ["MODEL_VERSION", "CompileResult", "MemoryPlan", "compile_model", "plan_memory"]
