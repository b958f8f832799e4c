"""One exception hierarchy for everything a user can cause.

Every message names what it can of the model, node, op and target, and says
what to do.  The CLI prints ``str(error)`` and exits non-zero; it never shows a
traceback for an ``NpukitError``.
"""

from __future__ import annotations


class NpukitError(Exception):
    """Base class: a problem the user can fix; the message says how."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.hint = hint
        super().__init__(message if hint is None else f"{message}\n  hint: {hint}")


class ModelLoadError(NpukitError):
    """The model file is missing, not ONNX, truncated or otherwise unreadable."""


class UnsupportedOpError(NpukitError):
    """An op (or an op at this opset, or with these attributes) is not supported."""

    def __init__(self, op_type: str, node: str, *, opset: int | None = None,
                 detail: str = "", hint: str | None = None) -> None:
        self.op_type, self.node, self.opset = op_type, node, opset
        where = f"op {op_type!r} (node {node!r}" + (f", opset {opset})" if opset else ")")
        msg = f"unsupported {where}" + (f": {detail}" if detail else "")
        super().__init__(msg, hint=hint or "export the model without this op, or "
                         "file an issue naming the op and opset")


class ShapeError(NpukitError):
    """Shapes or dtypes that contradict the model or each other."""


class GraphError(NpukitError):
    """The IR is not well formed (raised by ``Graph.verify`` and the text parser)."""


class InputError(NpukitError):
    """A run-time input with the wrong name, shape, dtype or layout."""


class PassError(NpukitError):
    """A graph pass produced an invalid graph (a bug: the message names the pass)."""
