"""Memory plan: live tensors never share bytes; arena ≥ lower bound; near it on the demo."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.models import demo_model, small_model
from npukit.compiler.memory_plan import (
    ALIGNMENT,
    Interval,
    MemoryPlan,
    assign_offsets,
    check_plan,
    liveness,
    lower_bound,
    plan_memory,
)

intervals = st.lists(
    st.tuples(st.integers(1, 5000), st.integers(0, 40), st.integers(0, 15)),
    min_size=0, max_size=40,
).map(lambda xs: [Interval(f"t{k}", -(-size // ALIGNMENT) * ALIGNMENT, first, first + span)
                  for k, (size, first, span) in enumerate(xs)])


def _no_overlap(offsets, ivs):
    for i, a in enumerate(ivs):
        for b in ivs[i + 1:]:
            if a.overlaps(b):
                sa, sb = offsets[a.name], offsets[b.name]
                assert sa + a.size <= sb or sb + b.size <= sa, (a, b)


@settings(max_examples=150, deadline=None)
@given(intervals)
def test_live_tensors_never_overlap(ivs):
    offsets = assign_offsets(ivs)
    _no_overlap(offsets, ivs)
    check_plan(offsets, ivs)
    assert all(o % ALIGNMENT == 0 for o in offsets.values())
    arena = max((offsets[i.name] + i.size for i in ivs), default=0)
    assert arena >= lower_bound(ivs)
    assert arena <= sum(i.size for i in ivs)


def test_disjoint_lifetimes_share_memory():
    ivs = [Interval("a", 128, 0, 1), Interval("b", 128, 2, 3), Interval("c", 64, 1, 2)]
    offsets = assign_offsets(ivs)
    assert offsets["a"] == offsets["b"]
    assert lower_bound(ivs) == 192


def test_demo_plan_within_ten_percent_of_lower_bound():
    plan = plan_memory(demo_model().program)
    assert plan.lower_bound <= plan.arena_bytes <= 1.10 * plan.lower_bound
    assert plan.arena_bytes < plan.naive_bytes
    assert set(plan.io) == {"image", "logits"}       # user I/O kept out of the arena


def test_program_liveness_and_json_round_trip():
    prog = small_model().program
    ivs, io = liveness(prog)
    names = {i.name for i in ivs}
    assert "x" not in names and "y" not in names and "x@q" in names
    plan = plan_memory(prog)
    _no_overlap(plan.offsets, list(plan.intervals.values()))
    back = MemoryPlan.from_json(json.loads(json.dumps(plan.to_json())))
    assert back.offsets == plan.offsets and back.arena_bytes == plan.arena_bytes
    assert back.intervals == plan.intervals
