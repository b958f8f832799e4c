"""``Runtime("m.npk").run({...})``: load a compiled model and run it (NumPy only).

Thread safety: ``run`` / ``run_async`` may be called from many threads at
once — the programs and their device sessions are read-only after loading
and every run keeps its values in its own local environment.  The zero-copy
input buffers and the ``set_aipp`` parameters are per runtime, so
``run_buffers`` from several threads on the same runtime must be serialised by
the caller (or use one runtime per thread), and per-thread dynamic AIPP
parameters go in the ``aipp_params`` input.  See docs/runtime.md, docs/aipp.md.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from npukit.errors import InputError, NpukitError
from npukit.ir.dtypes import to_numpy
from npukit.npk import read_npk
from npukit.preprocess import AippConfig, AippError, AippStage
from npukit.runtime.aipp import check_params, with_batch_axis
from npukit.runtime.devices import DeviceSession, device_factory
from npukit.runtime.feeds import as_dict, pick_shape, prepare, to_arrays
from npukit.runtime.model import CompiledShape, TensorInfo, load_shapes


class Runtime:
    """A loaded ``.npk``: ``inputs`` / ``outputs`` (default shape), ``run``, buffers."""

    def __init__(self, path: str | os.PathLike, *, key: Any = None, device: str = "sim",
                 verify: bool = True) -> None:
        factory = device_factory(device)
        self.path = Path(path)
        self.device = device
        self._npk = read_npk(self.path, key=key, verify=verify)
        self.target: str = self._npk.target
        self.manifest: dict[str, Any] = self._npk.manifest
        self._shapes: list[CompiledShape] = load_shapes(self._npk)
        self._sessions: dict[str, DeviceSession] = {cs.key: factory(cs.program)
                                                    for cs in self._shapes}
        self._buffers: dict[str, tuple[np.ndarray, bool]] = {}
        self._aipp_params: dict[str, list[AippConfig]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._released = False

    # ---- signature -----------------------------------------------------
    @property
    def inputs(self) -> list[TensorInfo]:
        return list(self._shapes[0].inputs)

    @property
    def outputs(self) -> list[TensorInfo]:
        return list(self._shapes[0].outputs)

    @property
    def shapes(self) -> list[str]:
        """Compiled shape keys (``"image=1x1x28x28"``), the default first."""
        return [cs.key for cs in self._shapes]

    def input_names(self) -> list[str]:
        return [t.name for t in self._shapes[0].inputs]

    # ---- AIPP ------------------------------------------------------------
    @property
    def aipp(self) -> dict[str, AippStage]:
        """The AIPP stage of each input that takes raw frames (default shape, with the
        ``set_aipp`` parameters bound if any): ``rt.aipp["image"].frame_from_image(rgb)``
        makes a frame, ``.summary()`` describes it."""
        out = {}
        for n, a in self._shapes[0].aipp.items():
            sets = self._aipp_params.get(n)
            out[n] = a.stage.with_batch(len(sets)).with_dynamic(sets) if sets else a.stage
        return out

    @property
    def optional_inputs(self) -> list[str]:
        """Inputs ``run`` may leave out: the parameter inputs of dynamic AIPP, when the
        parameters come from ``set_aipp`` instead."""
        return sorted(self._shapes[0].optional)

    def set_aipp(self, params: Any, *, input: str | None = None) -> None:  # noqa: A002
        """Dynamic AIPP parameters for the runs that follow: one set for the whole batch,
        or a list with one per batch item; each an ``AippConfig``, a dict of AIPP fields
        or an ATC / TOML file.  ``input`` names the input when several are dynamic;
        ``None`` clears them.  An ``aipp_params`` feed given to ``run`` wins over these.
        Checked now against the default shape (rules, model size, frame buffer size)."""
        self._alive()
        dyn = [n for n, a in self._shapes[0].aipp.items() if a.dynamic]
        if not dyn:
            raise AippError(f"{self.path} has no input with dynamic AIPP",
                            rule="dynamic_fields", hint="static AIPP parameters are baked "
                            "into the model at convert time")
        if input is None and len(dyn) > 1:
            raise AippError(f"several inputs have dynamic AIPP: {dyn}", rule="dynamic_fields",
                            hint="say which with set_aipp(params, input=NAME)")
        name = dyn[0] if input is None else input
        if name not in dyn:
            raise AippError(f"input {name!r} has no dynamic AIPP; dynamic inputs: {dyn}",
                            rule="dynamic_fields")
        if params is None:
            self._aipp_params.pop(name, None)
            return
        self._aipp_params[name] = check_params(
            self._shapes[0].aipp[name].stage, params,
            [cs.aipp[name].stage.batch for cs in self._shapes])

    # ---- running ---------------------------------------------------------
    def run(self, feeds: Any, *, raw: bool = False) -> dict[str, np.ndarray]:
        """Run once.  ``feeds``: dict or list in input order; float arrays or
        pre-quantized integer codes.  Returns float outputs by name, or with
        ``raw=True`` the integer codes of outputs that have them (see
        ``outputs[i].quant``; an output computed in float is returned in float)."""
        self._alive()
        first = self._shapes[0]
        arrays = to_arrays(as_dict(feeds, self.input_names(), first.optional))
        with_batch_axis(first.aipp, arrays)
        cs = pick_shape(self._shapes, arrays)
        return self._execute(cs, prepare(cs, arrays, dict(self._aipp_params)), raw)

    def run_async(self, feeds: Any, *, raw: bool = False) -> Future:
        """``run`` on a worker thread; returns a ``concurrent.futures.Future``."""
        self._alive()
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2,
                                                thread_name_prefix="npukit-rt")
            pool = self._pool
        return pool.submit(self.run, feeds, raw=raw)

    def input_buffer(self, name: str, *, quantized: bool = False,
                     shape: str | None = None) -> np.ndarray:
        """A preallocated array for input ``name`` that ``run_buffers`` reads in place.

        ``quantized=True`` gives a buffer of the input's integer codes (fed as
        ``name@q``); ``shape`` picks a compiled shape key (default: the first).
        """
        self._alive()
        cs = self._shapes[0] if shape is None else self._by_key(shape)
        info = next((t for t in cs.inputs if t.name == name), None)
        if info is None:
            raise InputError(f"the model has no input {name!r}; its inputs are "
                             f"{[t.name for t in cs.inputs]}")
        if quantized and (info.quant is None or name not in cs.prequant):
            raise InputError(f"input {name!r} cannot be fed as integer codes in this model",
                             hint="use a float buffer (quantized=False)")
        dtype = to_numpy(info.quant.dtype) if quantized and info.quant else \
            to_numpy(info.dtype)
        buf = np.zeros(info.shape, dtype)
        self._buffers[name] = (buf, quantized)
        return buf

    def run_buffers(self, *, raw: bool = False) -> dict[str, np.ndarray]:
        """Run from the arrays given by ``input_buffer`` without copying them."""
        self._alive()
        optional = self._shapes[0].optional
        missing = [n for n in self.input_names() if n not in self._buffers
                   and n not in optional]
        if missing:
            raise InputError(f"no buffer for input(s) {missing}",
                             hint="call rt.input_buffer(name) for every input first")
        arrays = {n: b for n, (b, _) in self._buffers.items()}
        cs = pick_shape(self._shapes, arrays)
        return self._execute(cs, prepare(cs, arrays, dict(self._aipp_params)), raw)

    def _execute(self, cs: CompiledShape, feeds: dict[str, np.ndarray], raw: bool
                 ) -> dict[str, np.ndarray]:
        keep = [o.quant_name for o in cs.outputs if raw and o.quant_name
                and o.quant_name in cs.program.values]
        got = self._sessions[cs.key].run(feeds, keep=keep)
        out = {}
        for o in cs.outputs:
            q = o.quant_name
            out[o.name] = got[q] if raw and q in got else got[o.name]
        return out

    # ---- lifetime --------------------------------------------------------
    def release(self) -> None:
        """Free the sessions, buffers, worker threads and the mapped file."""
        if self._released:
            return
        self._released = True
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for s in self._sessions.values():
            s.close()
        self._sessions.clear()
        self._buffers.clear()
        self._shapes = []
        self._npk = None  # type: ignore[assignment]

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _alive(self) -> None:
        if self._released:
            raise NpukitError(f"the runtime for {self.path} was released",
                              hint="create a new Runtime")

    def _by_key(self, key: str) -> CompiledShape:
        for cs in self._shapes:
            if cs.key == key:
                return cs
        raise InputError(f"no compiled shape {key!r}; compiled shapes: {self.shapes}")

    def __repr__(self) -> str:
        return (f"Runtime({str(self.path)!r}, target={self.target!r}, device={self.device!r}, "
                f"shapes={self.shapes})")
