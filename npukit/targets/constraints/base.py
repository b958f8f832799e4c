"""What a constraint is, and small helpers the predicates share.

A constraint is a predicate ``constraint_<what>(node, graph, target) ->
(ok, reason)``.  The reason is a user-facing sentence naming the node, the op,
the limit and the target, whether the check passed or failed: placement
reports quote it verbatim.  ``describe(op_type, target)`` says, for the
generated supported-ops table, what condition the constraint puts on that op
on that target (``None`` when it does not apply).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from npukit.ir import Graph, Node, Value
from npukit.targets.schema import TargetProfile

Result = tuple[bool, str]
Check = Callable[[Node, Graph, TargetProfile], Result]
Describe = Callable[[str, TargetProfile], "str | None"]


@dataclass(frozen=True)
class Constraint:
    """A named predicate plus the text it contributes to the supported-ops table.

    ``general`` constraints apply to every op alike (dtypes, rank, static
    shapes); the table states them once per target instead of on every row.
    """

    check: Check
    describe: Describe
    general: bool = False

    @property
    def name(self) -> str:
        return self.check.__name__

    @property
    def doc(self) -> str:
        return (self.check.__doc__ or "").strip().splitlines()[0]

    def __call__(self, node: Node, graph: Graph, target: TargetProfile) -> Result:
        return self.check(node, graph, target)


def constraint(describe: Describe, *, general: bool = False) -> Callable[[Check], Constraint]:
    """Decorator: turn ``constraint_<what>`` into a :class:`Constraint`."""
    def wrap(fn: Check) -> Constraint:
        if not fn.__name__.startswith("constraint_"):
            raise RuntimeError(f"constraint {fn.__name__!r} must be named constraint_<what>")
        return Constraint(fn, describe, general)
    return wrap


def who(node: Node) -> str:
    """How a reason names a node: ``node 'conv1' (Conv)``."""
    op = f"{node.domain}::{node.op_type}" if node.domain else node.op_type
    return f"node {node.name!r} ({op})"


def tensors(node: Node, graph: Graph) -> Iterator[Value]:
    """The node's non-constant inputs and its outputs: what the NPU must hold."""
    for name in list(node.inputs) + list(node.outputs):
        if not name:
            continue
        v = graph.values.get(name)
        if v is not None and not v.is_const:
            yield v


def dims(shape: tuple | list) -> str:
    """``(3, 3)`` → ``"3×3"``."""
    return "×".join(str(d) for d in shape)


def no_limit(value: int) -> bool:
    """Profile limits use 0 for "no limit"."""
    return value == 0
