"""Re-shape a quantized graph for another input shape (multi-shape / batch > 1).

The graph is copied, its inputs given the new shapes, every node output's
shape forgotten and re-inferred by the ops' shape functions; QuantParams stay
(they do not depend on shape).  A graph whose shape arithmetic was folded into
constants at the old shape (``Reshape`` to a fixed ``[1, …]``) fails here with
a ShapeError naming the node, rather than computing a wrong shape later.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from npukit.errors import NpukitError, ShapeError
from npukit.ir import Graph
from npukit.ops import infer_graph


def shape_key(shapes: Mapping[str, Sequence[int]], order: Sequence[str]) -> str:
    """``"image=1x1x28x28"`` (inputs in model order, ``;``-separated)."""
    return ";".join(f"{n}=" + "x".join(str(int(d)) for d in shapes[n]) for n in order)


def graph_shapes(g: Graph) -> dict[str, list[int]]:
    out = {}
    for n in g.inputs:
        v = g.values[n]
        if not v.is_static:
            raise ShapeError(f"input {n!r} of model {g.name!r} has a dynamic shape {v.shape}",
                             hint="give static shapes: shapes=[{...}], or --input-shape / --shapes")
        out[n] = [int(d) for d in v.shape]  # type: ignore[union-attr]
    return out


def check_shapes(g: Graph, shapes: Mapping[str, Sequence[int]]) -> None:
    """Raise a ShapeError unless ``shapes`` gives every input of ``g`` and nothing else."""
    if not isinstance(shapes, Mapping):
        raise ShapeError(f"a shape is a dict of input name → dims, not {type(shapes).__name__}")
    unknown = sorted(set(shapes) - set(g.inputs))
    if unknown:
        raise ShapeError(f"shape given for {unknown[0]!r}, which is not an input of "
                         f"model {g.name!r}; its inputs are {list(g.inputs)}")
    missing = [n for n in g.inputs if n not in shapes]
    if missing:
        raise ShapeError(f"no shape given for input(s) {missing} of model {g.name!r}")
    for n, dims in shapes.items():
        if not all(isinstance(d, (int, np.integer)) and d > 0 for d in dims):
            raise ShapeError(f"shape {list(dims)} of input {n!r} must be positive integers")


def reshaped(g: Graph, shapes: Mapping[str, Sequence[int]]) -> Graph:
    """A copy of ``g`` with input shapes ``shapes`` and re-inferred value shapes."""
    check_shapes(g, shapes)
    new = g.copy()
    for n in g.inputs:
        new.values[n].shape = tuple(int(d) for d in shapes[n])
    for node in new.nodes:
        for o in node.outputs:
            if o:
                new.values[o].shape = None
    try:
        infer_graph(new)
    except NpukitError:
        raise
    except Exception as e:
        raise ShapeError(f"model {g.name!r} cannot be re-shaped to "
                         f"{shape_key(shapes, g.inputs)}: {type(e).__name__}: {e}",
                         hint="its shape arithmetic may be folded for the original shape; "
                         "export the model with a dynamic batch and quantize again") from e
    for node in new.nodes:
        for o in node.outputs:
            if o and not new.values[o].is_static:
                raise ShapeError(f"node {node.name!r} ({node.op_type}): output {o!r} has no "
                                 f"static shape at {shape_key(shapes, g.inputs)}")
    return new
