"""Layer 3: the lowered program — the contract between compiler/simulator and runtime."""

from npukit.program.record import (
    FLOAT_KERNEL,
    OpRecord,
    Program,
    ValueSpec,
    join_attrs,
    split_attrs,
)

__all__ = ["FLOAT_KERNEL", "OpRecord", "Program", "ValueSpec", "join_attrs", "split_attrs"]
