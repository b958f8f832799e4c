"""Layer 5: NPU / CPU placement ("切图") with a reason for every node.

``place(quantized_graph, target, cpu=[...], npu=[...])`` → :class:`Placement`;
its ``force_float`` map feeds ``npukit.sim.lower.lower``; ``format()`` is the
text report, ``to_json()`` the manifest section.
"""

from npukit.partition.placement import (
    PLACEMENT_VERSION,
    NodePlacement,
    Placement,
    place,
    storage_typed,
)
from npukit.partition.report import Segment, format_placement, segments

__all__ = ["PLACEMENT_VERSION", "NodePlacement", "Placement", "Segment", "format_placement",
           "place", "segments", "storage_typed"]
