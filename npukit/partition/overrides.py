"""User overrides: ``cpu=[...]`` / ``npu=[...]`` naming nodes or op types.

A node name wins over an op type; naming the same node (or op type) on both
sides is an error, and so is a key that is neither a node name nor an op type
of the graph (the message suggests the nearest name).
"""

from __future__ import annotations

import difflib
from typing import Iterable

from npukit.errors import NpukitError
from npukit.ir import Graph, Node


def _check_known(g: Graph, keys: Iterable[str], side: str) -> None:
    names = {n.name for n in g.nodes}
    ops = {n.op_type for n in g.nodes}
    for key in keys:
        if key in names or key in ops:
            continue
        near = difflib.get_close_matches(key, sorted(names | ops), n=1, cutoff=0.4)
        raise NpukitError(
            f"the {side} override {key!r} (--{side}) is neither a node name nor an op "
            f"type of model {g.name!r}",
            hint=(f"did you mean {near[0]!r}? " if near else "")
            + "`npukit info MODEL` lists the node names")


def resolve(g: Graph, cpu: Iterable[str], npu: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Node name → (engine, why) for every node an override applies to."""
    cpu, npu = list(cpu), list(npu)
    _check_known(g, cpu, "cpu")
    _check_known(g, npu, "npu")
    both = sorted(set(cpu) & set(npu))
    if both:
        raise NpukitError(f"{both[0]!r} is asked to run on both the CPU and the NPU",
                          hint="name it in only one of --cpu / --npu")
    out: dict[str, tuple[str, str]] = {}
    for node in g.nodes:
        got = _match(node, cpu, npu)
        if got is not None:
            out[node.name] = got
    return out


def _match(node: Node, cpu: list[str], npu: list[str]) -> tuple[str, str] | None:
    for side, keys in (("cpu", cpu), ("npu", npu)):
        if node.name in keys:
            return side, f"forced onto the {side.upper()} by the user (node {node.name!r})"
    for side, keys in (("cpu", cpu), ("npu", npu)):
        if node.op_type in keys:
            return side, f"forced onto the {side.upper()} by the user (op type {node.op_type})"
    return None
