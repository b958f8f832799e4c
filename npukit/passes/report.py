"""What an optimisation did: one record per pass, printable and JSON-serialisable."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from npukit.ir import Firing


@dataclass
class Change:
    """One rule firing: which rule rewrote which node (user's node names)."""

    rule: str
    node: str
    op_type: str

    @classmethod
    def of(cls, f: Firing) -> Change:
        return cls(f.rule, f.node, f.op_type)


@dataclass
class PassRecord:
    """One pass of a pipeline: its changes, timing and node counts before / after."""

    name: str
    changes: list[Change] = field(default_factory=list)
    seconds: float = 0.0
    nodes_before: int = 0
    nodes_after: int = 0
    dump: str | None = None

    def summary(self) -> dict[str, int]:
        """Firings per rule, in first-fired order."""
        out: dict[str, int] = {}
        for c in self.changes:
            out[c.rule] = out.get(c.rule, 0) + 1
        return out


@dataclass
class OptimizeReport:
    """The record of one pipeline run over one graph."""

    graph: str
    pipeline: str
    passes: list[PassRecord] = field(default_factory=list)
    nodes_before: int = 0
    nodes_after: int = 0
    ops_before: dict[str, int] = field(default_factory=dict)
    ops_after: dict[str, int] = field(default_factory=dict)

    @property
    def changes(self) -> list[Change]:
        return [c for p in self.passes for c in p.changes]

    @property
    def seconds(self) -> float:
        return sum(p.seconds for p in self.passes)

    def format(self, *, details: bool = False) -> str:
        """A table of passes (and, with ``details``, every rule firing by node)."""
        lines = [f"optimize {self.graph!r} with {self.pipeline}: {self.nodes_before} -> "
                 f"{self.nodes_after} nodes in {self.seconds * 1000:.1f} ms"]
        width = max([len(p.name) for p in self.passes] + [4])
        lines.append(f"  {'pass':<{width}}  changes  nodes      ms  rules")
        for p in self.passes:
            rules = ", ".join(f"{r}×{n}" for r, n in p.summary().items()) or "-"
            lines.append(f"  {p.name:<{width}}  {len(p.changes):>7}  {p.nodes_after:>5}  "
                         f"{p.seconds * 1000:>6.1f}  {rules}")
            if details:
                lines += [f"      {c.rule}: {c.node} ({c.op_type})" for c in p.changes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)
