"""Layer 4: target profiles (hardware as data) and NPU-support constraints.

``load_target("rk3588")`` or ``load_target("my_chip.toml")`` gives a frozen
:class:`TargetProfile`; :func:`npu_supports` says whether a node can run on
its NPU and why not.  See ``docs/targets.md``.
"""

from npukit.targets.constraints import CONSTRAINTS, check_node, npu_supports
from npukit.targets.loader import load_profile_file, profile_from_dict
from npukit.targets.registry import list_targets, load_all, load_target
from npukit.targets.schema import (
    CpuSpec,
    LayoutSpec,
    MemorySpec,
    NpuSpec,
    NumericsSpec,
    OpLimits,
    TargetError,
    TargetProfile,
)

__all__ = ["CONSTRAINTS", "CpuSpec", "LayoutSpec", "MemorySpec", "NpuSpec", "NumericsSpec",
           "OpLimits", "TargetError", "TargetProfile", "check_node", "list_targets",
           "load_all", "load_profile_file", "load_target", "npu_supports",
           "profile_from_dict"]
