"""Activation memory plan: liveness over a program's records, offsets in one arena.

Convention: a value is live from the record that writes it to the last record
that reads it, both inclusive (a record's inputs and outputs are live together:
no in-place reuse).  The program's float inputs and outputs are **not** planned:
they are the user's I/O buffers (``Runtime.input_buffer`` / the returned
outputs), kept separate and listed under ``io``.  Every other value — including
the integer form ``x@q`` of an input and ``y@q`` of an output — gets an offset
in one activation arena.

Offsets come from *greedy by size with interval reuse* (TFLite's arena
planner): tensors in order of decreasing size, each placed in the smallest
gap (best fit) between already-placed tensors whose lifetimes overlap its
own.  The same best fit is also run in *breadth* order (tensors live at the
busiest steps first) and the smaller arena kept.  Sizes are rounded up to
``alignment`` bytes so every offset is aligned.
The report gives the arena against the lower bound (the largest sum of
simultaneously live sizes over all steps) and the naive sum of all tensors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from npukit.errors import NpukitError
from npukit.program import Program

ALIGNMENT = 64
PLAN_VERSION = 1


@dataclass(frozen=True)
class Interval:
    """A tensor to place: bytes (aligned), first and last step it is live."""

    name: str
    size: int
    first: int
    last: int

    def overlaps(self, other: Interval) -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass
class MemoryPlan:
    alignment: int
    arena_bytes: int
    lower_bound: int
    naive_bytes: int
    offsets: dict[str, int]
    intervals: dict[str, Interval]
    io: dict[str, int] = field(default_factory=dict)    # user I/O buffers: name → bytes

    @property
    def ratio(self) -> float:
        """Arena / lower bound (1.0 is optimal)."""
        return self.arena_bytes / self.lower_bound if self.lower_bound else 1.0

    def to_json(self) -> dict[str, Any]:
        return {"version": PLAN_VERSION, "alignment": self.alignment,
                "arena_bytes": self.arena_bytes, "lower_bound": self.lower_bound,
                "naive_bytes": self.naive_bytes, "io_kept_separate": True,
                "io": dict(self.io),
                "tensors": [{"name": n, "offset": self.offsets[n], "size": i.size,
                             "first": i.first, "last": i.last}
                            for n, i in sorted(self.intervals.items(),
                                               key=lambda kv: (self.offsets[kv[0]], kv[0]))]}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> MemoryPlan:
        iv = {t["name"]: Interval(t["name"], t["size"], t["first"], t["last"])
              for t in d["tensors"]}
        return cls(d["alignment"], d["arena_bytes"], d["lower_bound"], d["naive_bytes"],
                   {t["name"]: t["offset"] for t in d["tensors"]}, iv, dict(d.get("io", {})))


def aligned(n: int, alignment: int = ALIGNMENT) -> int:
    return -(-n // alignment) * alignment


def value_bytes(program: Program, name: str) -> int:
    spec = program.values[name]
    if any(d < 0 for d in spec.shape):
        raise NpukitError(f"value {name!r} has a dynamic shape {list(spec.shape)}; the "
                          "memory plan needs static shapes", hint="compile with --shapes")
    return int(np.prod(spec.shape, dtype=np.int64)) * _itemsize(spec.dtype)


def _itemsize(dtype: str) -> int:
    if dtype in ("int4", "uint4", "bool"):
        return 1
    return int(np.dtype(dtype).itemsize)


def liveness(program: Program, alignment: int = ALIGNMENT) -> tuple[list[Interval], dict]:
    """Intervals of planned values, and the user I/O values kept separate (name → bytes)."""
    io = list(program.inputs) + [o for o in program.outputs if o not in program.inputs]
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for step, rec in enumerate(program.records):
        for o in rec.outputs:
            if o:
                first.setdefault(o, step)
                last[o] = max(last.get(o, step), step)
        for i in rec.inputs:
            if i:
                last[i] = step
                first.setdefault(i, 0)           # a fed x@q is live from the start
    end = len(program.records) - 1
    out = []
    for name in first:
        if name in io:
            continue
        stop = end if name in program.outputs else last[name]
        out.append(Interval(name, aligned(value_bytes(program, name), alignment),
                            first[name], stop))
    return out, {n: value_bytes(program, n) for n in io}


def lower_bound(intervals: list[Interval]) -> int:
    """Largest sum of sizes live at one step: no plan can use less."""
    return int(_live_profile(intervals).max()) if intervals else 0


def _live_profile(intervals: list[Interval]) -> np.ndarray:
    steps = max((i.last for i in intervals), default=0) + 2
    delta = np.zeros(steps, np.int64)
    for i in intervals:
        delta[i.first] += i.size
        delta[i.last + 1] -= i.size
    return np.cumsum(delta)


def _orders(intervals: list[Interval]) -> list[list[Interval]]:
    """Greedy by size; greedy by breadth (tensors at the busiest steps first)."""
    live = _live_profile(intervals)
    by_size = sorted(intervals, key=lambda i: (-i.size, i.first, i.name))
    by_breadth = sorted(intervals, key=lambda i: (-int(live[i.first:i.last + 1].max()),
                                                  -i.size, i.first, i.name))
    return [by_size, by_breadth]


def _best_fit(order: list[Interval], alignment: int) -> dict[str, int]:
    """Place each tensor in the smallest gap among time-overlapping placed tensors."""
    placed: list[tuple[int, Interval]] = []
    offsets: dict[str, int] = {}
    for iv in order:
        busy = sorted((off, off + p.size) for off, p in placed if p.overlaps(iv))
        best, best_gap, cursor = None, None, 0
        for lo, hi in busy:
            gap = lo - cursor
            if gap >= iv.size and (best_gap is None or gap < best_gap):
                best, best_gap = cursor, gap
            cursor = max(cursor, hi)
        off = aligned(best if best is not None else cursor, alignment)
        offsets[iv.name] = off
        placed.append((off, iv))
    return offsets


def assign_offsets(intervals: list[Interval], alignment: int = ALIGNMENT) -> dict[str, int]:
    """Best-fit offsets under each order of :func:`_orders`; the smallest arena wins."""
    best: dict[str, int] = {}
    best_top = None
    for order in _orders(intervals):
        offsets = _best_fit(order, alignment)
        top = max((offsets[i.name] + i.size for i in intervals), default=0)
        if best_top is None or top < best_top:
            best, best_top = offsets, top
    return best


def check_plan(offsets: Mapping[str, int], intervals: list[Interval]) -> None:
    """Raise if two tensors live at the same step share a byte (a compiler bug)."""
    ivs = sorted(intervals, key=lambda i: offsets[i.name])
    for k, a in enumerate(ivs):
        for b in ivs[k + 1:]:
            if offsets[b.name] >= offsets[a.name] + a.size:
                break
            if a.overlaps(b) and a.size and b.size:
                raise NpukitError(f"memory plan overlaps {a.name!r} and {b.name!r} "
                                  "(a compiler bug; please report it)")


def plan_memory(program: Program, alignment: int = ALIGNMENT) -> MemoryPlan:
    """The activation arena plan of ``program`` (see the module docstring)."""
    intervals, io = liveness(program, alignment)
    offsets = assign_offsets(intervals, alignment)
    check_plan(offsets, intervals)
    arena = max((offsets[i.name] + i.size for i in intervals), default=0)
    return MemoryPlan(alignment, arena, lower_bound(intervals),
                      sum(i.size for i in intervals), offsets,
                      {i.name: i for i in intervals}, io)
