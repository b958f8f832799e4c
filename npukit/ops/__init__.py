"""Layer 3: ops.  One module per op family; this explicit list is the registry's source.

Each module registers its op classes with ``@register`` on import.
"""

from npukit.ops import (  # noqa: F401  (imported for registration)
    activation,
    activation_int,
    conv,
    conv_int,
    conv_transpose,
    conv_transpose_int,
    elementwise,
    elementwise_int,
    fused,
    gather,
    gemm,
    gemm_int,
    generators,
    logic,
    movement_int,
    norm,
    norm_int,
    pool,
    pool_int,
    qdq,
    reduce,
    resize,
    resize_int,
    rnn,
    shape_ops,
    softmax,
    softmax_int,
    space,
    tensor,
)
from npukit.ops.registry import (
    IntKernel,
    LowerContext,
    Op,
    TensorType,
    get_kernel,
    get_op,
    has_lowering,
    has_op,
    infer_graph,
    infer_node,
    lowering,
    register,
    register_kernel,
    registered_kernels,
    registered_ops,
)

__all__ = ["IntKernel", "LowerContext", "Op", "TensorType", "get_kernel", "get_op",
           "has_lowering", "has_op", "infer_graph", "infer_node", "lowering", "register",
           "register_kernel", "registered_kernels", "registered_ops"]
