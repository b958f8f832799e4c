"""Read the compiled model out of an ``.npk``: programs per shape and the I/O signature."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from npukit.ir.quant import QuantParams
from npukit.npk import NpkFile, NpkFormatError, NpkVersionError
from npukit.program import Program
from npukit.program.packing import unpack

#: manifest layouts (``manifest["model"]["version"]``) this runtime reads
MODEL_VERSIONS = (1,)


@dataclass(frozen=True)
class TensorInfo:
    """One model input or output as the caller sees it."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    layout: str
    quant: QuantParams | None
    quant_name: str | None
    model_layout: str = "NCHW"

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> TensorInfo:
        q = d.get("quant")
        return cls(d["name"], tuple(int(x) for x in d["shape"]), d["dtype"], d["layout"],
                   None if q is None else QuantParams.from_json(q), d.get("quant_name"),
                   d.get("model_layout", "NCHW"))


@dataclass
class CompiledShape:
    """One compiled input shape: its program, I/O and which inputs take codes directly."""

    key: str
    program: Program
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    prequant: frozenset[str]   # inputs that may be fed as integer codes (``name@q``)


def _bad(npk: NpkFile, what: str) -> NpkFormatError:
    return NpkFormatError(f"{npk.path}: {what}", hint="re-create it with `npukit convert`")


def load_shapes(npk: NpkFile) -> list[CompiledShape]:
    """Every compiled shape of ``npk``, the default first."""
    m = npk.manifest
    model, programs = m.get("model"), m.get("programs")
    if not isinstance(model, dict) or not isinstance(programs, dict):
        raise _bad(npk, "the file holds no compiled model (no 'model'/'programs' sections); "
                   "it is an .npk container but not a compiled program")
    if model.get("version") not in MODEL_VERSIONS:
        raise NpkVersionError(f"{npk.path}: compiled-model layout version "
                              f"{model.get('version')!r}; this npukit reads {MODEL_VERSIONS}",
                              hint="upgrade npukit, or recompile with this version")
    packing = m.get("packing", {})
    out = []
    try:
        for key in model["shapes"]:
            out.append(_load_one(npk, key, programs[key], packing))
    except (KeyError, TypeError, ValueError) as e:
        raise _bad(npk, f"the compiled model is malformed ({type(e).__name__}: {e})") from None
    return out


def _load_one(npk: NpkFile, key: str, d: Mapping[str, Any],
              packing: Mapping[str, Any]) -> CompiledShape:
    tensors: dict[str, np.ndarray] = {}
    for name, stored in d["tensors"].items():
        arr = npk.tensors[stored]
        tensors[name] = unpack(arr, packing[stored]) if stored in packing else arr
    program = Program.from_json(d["program"], tensors)
    ins = [TensorInfo.from_json(e) for e in d["io"]["inputs"]]
    outs = [TensorInfo.from_json(e) for e in d["io"]["outputs"]]
    readers: dict[str, int] = {}
    for rec in program.records:
        for i in rec.inputs:
            readers[i] = readers.get(i, 0) + 1
    prequant = frozenset(t.name for t in ins if t.quant_name in program.values
                         and readers.get(t.name, 0) == 1 and _only_quantize(program, t.name))
    return CompiledShape(key, program, ins, outs, prequant)


def _only_quantize(program: Program, name: str) -> bool:
    return all(r.kernel == "Quantize" for r in program.records if name in r.inputs)
