"""Check and convert run-time inputs against the compiled signature.

A feed is float (any float dtype; non-float32 is cast, a copy) or integer
codes whose dtype is the input's quantized dtype (fed as ``name@q``, skipping
the Quantize record).  Shapes are in the input's declared layout; an NHWC
input is transposed to the model's NCHW (a copy).  The compiled shape is
chosen by the feeds' shapes.
"""

from __future__ import annotations

import difflib
from typing import Any, Collection, Mapping, Sequence

import numpy as np

from npukit.errors import InputError
from npukit.ir.dtypes import to_numpy
from npukit.preprocess import AippConfig
from npukit.runtime.aipp import bind, frame_feed
from npukit.runtime.model import CompiledShape, TensorInfo


def as_dict(feeds: Any, names: Sequence[str], optional: Collection[str] = ()
            ) -> dict[str, Any]:
    """A dict of feeds from a dict or a list in input order (``optional`` may be left out,
    also from the end of a list)."""
    if isinstance(feeds, Mapping):
        unknown = [k for k in feeds if k not in names]
        if unknown:
            near = difflib.get_close_matches(str(unknown[0]), names, n=1)
            raise InputError(f"the model has no input {unknown[0]!r}; its inputs are "
                             f"{list(names)}", hint=f"did you mean {near[0]!r}?" if near
                             else None)
        out = dict(feeds)
    elif isinstance(feeds, (list, tuple)):
        need = [n for n in names if n not in optional]
        if not len(need) <= len(feeds) <= len(names):
            raise InputError(f"{len(feeds)} input(s) given, the model takes {len(names)}: "
                             f"{list(names)}")
        out = dict(zip(names, feeds))
    elif isinstance(feeds, np.ndarray) and len([n for n in names if n not in optional]) == 1:
        out = {names[0]: feeds}
    else:
        raise InputError(f"feeds must be a dict or a list in input order, not "
                         f"{type(feeds).__name__}")
    missing = [n for n in names if n not in out and n not in optional]
    if missing:
        raise InputError(f"missing input(s) {missing}; the model's inputs are {list(names)}")
    return out


def _kind(info: TensorInfo, a: np.ndarray, cs: CompiledShape) -> str:
    """``"native"`` (the model's dtype, or any float for a float input) or ``"codes"``
    (pre-quantized), or an InputError naming what is expected."""
    want = to_numpy(info.dtype)
    if a.dtype == want or (a.dtype.kind == "f" and want.kind == "f"):
        return "native"
    qdt = None if info.quant is None else to_numpy(info.quant.dtype)
    if qdt is not None and a.dtype == qdt and info.name in cs.prequant:
        return "codes"
    also = f", or {info.quant.dtype} pre-quantized codes" if qdt is not None and \
        info.name in cs.prequant else ""
    raise InputError(f"input {info.name!r} must be {info.dtype}{also}; got {a.dtype}",
                     hint=f"convert the array with .astype(np.{info.dtype})")


def pick_shape(shapes: Sequence[CompiledShape], arrays: Mapping[str, np.ndarray]
               ) -> CompiledShape:
    """The compiled shape whose inputs match the feeds' shapes."""
    for cs in shapes:
        if all(tuple(arrays[t.name].shape) == t.shape for t in cs.inputs
               if t.name not in cs.optional):
            return cs
    if len(shapes) == 1:
        for t in shapes[0].inputs:
            if t.name in shapes[0].optional:
                continue
            got = tuple(arrays[t.name].shape)
            if got != t.shape:
                raise InputError(f"input {t.name!r} has shape {list(got)}, the model expects "
                                 f"{list(t.shape)} ({t.layout})")
    got = {n: list(a.shape) for n, a in arrays.items() if n not in shapes[0].optional}
    raise InputError(f"input shapes {got} match none of the compiled shapes: "
                     f"{[cs.key for cs in shapes]}",
                     hint="recompile with --shapes to add this shape")


def prepare(cs: CompiledShape, arrays: Mapping[str, np.ndarray],
            dynamic: Mapping[str, Sequence[AippConfig]] | None = None
            ) -> dict[str, np.ndarray]:
    """The program feeds for ``arrays`` (no copy for float32 NCHW or matching codes).

    An AIPP input's frame goes through the integer AIPP path (``runtime/aipp.py``);
    ``dynamic`` holds the ``Runtime.set_aipp`` parameters of dynamic stages.
    """
    feeds: dict[str, np.ndarray] = {}
    for info in cs.model_inputs:
        if info.name in cs.aipp:
            ai = cs.aipp[info.name]
            record = arrays.get(ai.params_input) if ai.params_input else None
            stage = bind(ai, record, (dynamic or {}).get(info.name))
            fed = frame_feed(ai, arrays[info.name], stage, info.name in cs.prequant)
            feeds[str(info.quant_name) if info.name in cs.prequant else info.name] = fed
            continue
        a = arrays[info.name]
        kind = _kind(info, a, cs)
        if info.layout == "NHWC":
            a = np.ascontiguousarray(a.transpose(0, 3, 1, 2))
        if kind == "codes":
            feeds[str(info.quant_name)] = a
        else:
            want = to_numpy(info.dtype)
            feeds[info.name] = a if a.dtype == want else a.astype(want)
    return feeds


def to_arrays(feeds: Mapping[str, Any]) -> dict[str, np.ndarray]:
    out = {}
    for name, v in feeds.items():
        try:
            out[name] = v if isinstance(v, np.ndarray) else np.asarray(v)
        except (TypeError, ValueError) as e:
            raise InputError(f"input {name!r} is not an array: {e}") from None
        if out[name].dtype.kind not in "biuf":
            raise InputError(f"input {name!r} is not a numeric array")
    return out
