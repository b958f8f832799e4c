"""Read the compiled model out of an ``.npk``: programs per shape and the I/O signature."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from npukit.npk import NpkFile, NpkFormatError, NpkVersionError
from npukit.program import Program
from npukit.program.packing import unpack
from npukit.runtime.aipp import AippInput, load_section, public_inputs
from npukit.runtime.tensor_info import TensorInfo

#: manifest layouts (``manifest["model"]["version"]``) this runtime reads: 1, and 2 =
#: 1 plus the ``aipp`` section (inputs that take raw frames), written only when used
MODEL_VERSIONS = (1, 2)


@dataclass
class CompiledShape:
    """One compiled input shape: its program, I/O and which inputs take codes directly.

    ``inputs`` are what the caller feeds; with AIPP they differ from the program's
    ``model_inputs`` (a raw frame in place of the image, plus any parameter input).
    """

    key: str
    program: Program
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    prequant: frozenset[str]   # model inputs that may be fed as integer codes (``name@q``)
    model_inputs: list[TensorInfo] = field(default_factory=list)
    aipp: dict[str, AippInput] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.model_inputs:
            self.model_inputs = list(self.inputs)

    @property
    def optional(self) -> frozenset[str]:
        """Inputs a run may leave out: dynamic AIPP parameters (``Runtime.set_aipp``)."""
        return frozenset(a.params_input for a in self.aipp.values() if a.params_input)


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
    if model["version"] >= 2 and not isinstance(m.get("aipp"), dict):
        raise _bad(npk, "compiled-model layout 2 without its 'aipp' section")
    out = []
    try:
        for key in model["shapes"]:
            out.append(_load_one(npk, key, programs[key], packing,
                                 m.get("aipp") if model["version"] >= 2 else None))
    except (KeyError, TypeError, ValueError) as e:
        raise _bad(npk, f"the compiled model is malformed ({type(e).__name__}: {e})") from None
    return out


def _load_one(npk: NpkFile, key: str, d: Mapping[str, Any],
              packing: Mapping[str, Any], aipp_section: Any) -> CompiledShape:
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
    aipp = {} if aipp_section is None else load_section(aipp_section, ins)
    return CompiledShape(key, program, public_inputs(ins, aipp), outs, prequant, ins, aipp)


def _only_quantize(program: Program, name: str) -> bool:
    return all(r.kernel == "Quantize" for r in program.records if name in r.inputs)
