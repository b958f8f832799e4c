"""Cross-layer equalisation (Nagel et al. 2019, "Data-Free Quantization").

For a chain ``Conv1 → act → Conv2`` where ``act`` is positively homogeneous
(``act(x / s) = act(x) / s`` for ``s > 0``), output channel ``c`` of Conv1 can
be divided by ``s_c`` and input channel ``c`` of Conv2 multiplied by it
without changing the float function.  Choosing ``s_c = sqrt(r1_c / r2_c)``
(``r1_c``: max |weight| of Conv1's output channel, ``r2_c``: of Conv2's input
channel) makes both ranges ``sqrt(r1_c · r2_c)``, so the per-tensor ranges
the quantizer sees (activation between the two, Conv2's per-output-channel
weights that mix input channels) stop being dominated by a few channels.

Which activations are exact: none, ``Relu``, and a ``Clip`` without an upper
bound and a lower bound of 0 (or none).  ``Clip(0, 6)`` (Relu6) is **not**:
scaling would need a per-channel upper bound ``6 / s_c``, which an integer
clamp on one output tensor cannot hold, so such chains are left alone and
reported as skipped.  The graph is edited on a copy of its constants (they
are shared between graph copies and never written in place).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from npukit.ir import Graph, Node

_TINY = 1e-12


@dataclass(frozen=True)
class EqualizedPair:
    """One equalised chain and the spread (max/min) of Conv1's channel ranges."""

    first: str
    second: str
    spread_before: float
    spread_after: float


@dataclass
class CleReport:
    pairs: list[EqualizedPair] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def homogeneous(node: Node) -> str:
    """Why the fused activation of ``node`` breaks scaling ("" when it is exact)."""
    act = node.attrs.get("activation")
    if not act or act == "Relu":
        return ""
    if act == "Clip":
        params = [float(p) for p in node.attrs.get("activation_params", [])]
        lo = params[0] if params else -np.inf
        hi = params[1] if len(params) > 1 else np.inf
        if lo in (0.0, -np.inf) and hi == np.inf:
            return ""
        return f"Clip({lo:g}, {hi:g}) bounds would change per channel"
    return f"fused {act} is not positively homogeneous"


def _sole_consumer(g: Graph, value: str) -> Node | None:
    cons = g.consumers(value)
    return cons[0] if len(cons) == 1 and value not in g.outputs else None


def _weights(g: Graph, node: Node) -> np.ndarray | None:
    if node.op_type != "Conv" or len(node.inputs) < 2:
        return None
    w = g.const(node.inputs[1])
    if w is None or len(g.consumers(node.inputs[1])) != 1:
        return None
    return w


def _next_conv(g: Graph, first: Node) -> tuple[Node | None, str]:
    """The Conv fed (through at most one exact activation node) by ``first``."""
    why = homogeneous(first)
    if why:
        return None, why
    feed = first.outputs[0]
    nxt = _sole_consumer(g, feed)
    if nxt is not None and nxt.op_type == "Relu":
        feed = nxt.outputs[0]
        nxt = _sole_consumer(g, feed)
    if nxt is None or nxt.op_type != "Conv" or _weights(g, nxt) is None \
            or nxt.inputs[0] != feed or feed in nxt.inputs[1:]:
        return None, "output does not feed exactly one Conv with constant weights"
    return nxt, ""


def _in_channel_ranges(w2: np.ndarray, group: int, channels: int) -> np.ndarray | None:
    """max |w2| per *input* channel of a (possibly grouped) Conv, or None."""
    m, cg = w2.shape[:2]
    if cg * group != channels or m % group:
        return None
    mg = m // group
    a = np.abs(w2).reshape(group, mg, cg, -1).max(axis=(1, 3))     # (group, cg)
    return a.reshape(channels)


def _scale_second(w2: np.ndarray, s: np.ndarray, group: int) -> np.ndarray:
    m, cg = w2.shape[:2]
    mg = m // group
    ws = w2.reshape(group, mg, cg, -1) * s.reshape(group, 1, cg, 1)
    return ws.reshape(w2.shape).astype(w2.dtype)


def _spread(r: np.ndarray) -> float:
    r = r[r > _TINY]
    return float(r.max() / r.min()) if r.size else 1.0


def _equalize_pair(g: Graph, a: Node, b: Node) -> EqualizedPair | None:
    w1, w2 = _weights(g, a), _weights(g, b)
    assert w1 is not None and w2 is not None
    r1 = np.abs(w1).reshape(w1.shape[0], -1).max(axis=1).astype(np.float64)
    r2 = _in_channel_ranges(w2, int(b.attr("group", 1)), w1.shape[0])
    if r2 is None:
        return None
    ok = (r1 > _TINY) & (r2 > _TINY)
    s = np.where(ok, np.sqrt(r1 / np.where(ok, r2, 1.0)), 1.0)
    before = _spread(r1)
    shape = (-1,) + (1,) * (w1.ndim - 1)
    g.values[a.inputs[1]].const = (w1 / s.reshape(shape)).astype(w1.dtype)
    if len(a.inputs) > 2 and a.inputs[2]:
        b1 = g.const(a.inputs[2])
        if b1 is None or len(g.consumers(a.inputs[2])) != 1:
            g.values[a.inputs[1]].const = w1          # undo: bias not editable
            return None
        g.values[a.inputs[2]].const = (b1 / s).astype(b1.dtype)
    g.values[b.inputs[1]].const = _scale_second(w2, s, int(b.attr("group", 1)))
    return EqualizedPair(a.name, b.name, before, _spread(r1 / s))


def equalize(g: Graph, iterations: int = 2) -> CleReport:
    """Equalise every exact Conv→Conv chain of ``g`` in place; ``iterations``
    sweeps let chains of three or more layers settle (Nagel et al., §4.1)."""
    report = CleReport()
    first: dict[str, float] = {}
    for sweep in range(max(iterations, 1)):
        for a in list(g.nodes):
            if _weights(g, a) is None or not a.outputs:
                continue
            b, why = _next_conv(g, a)
            if b is None:
                if sweep == 0 and why.startswith(("Clip", "fused")):
                    report.skipped[a.name] = why
                continue
            pair = _equalize_pair(g, a, b)
            if pair is None:
                continue
            first.setdefault(a.name, pair.spread_before)
            if sweep == max(iterations, 1) - 1:
                report.pairs.append(EqualizedPair(a.name, b.name, first[a.name],
                                                  pair.spread_after))
    return report
