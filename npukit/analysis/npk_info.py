"""What a compiled ``.npk`` holds: target, I/O, shapes, placement, memory plan, sizes.

``describe_npk(path)`` → dict (JSON-ready); ``format_npk_info(info)`` → text.
``npukit info`` calls these for a ``.npk`` argument.
"""

from __future__ import annotations

import os
from typing import Any

from npukit.npk import read_npk
from npukit.preprocess import to_dict
from npukit.runtime.aipp import AippInput
from npukit.runtime.model import TensorInfo, load_shapes


def _io(t: TensorInfo) -> dict[str, Any]:
    return {"name": t.name, "shape": list(t.shape), "dtype": t.dtype, "layout": t.layout,
            "quant": None if t.quant is None else t.quant.to_json()}


def describe_npk(path: str | os.PathLike, *, key: Any = None) -> dict[str, Any]:
    """A JSON-ready description of the compiled model in ``path`` (checksum verified)."""
    npk = read_npk(path, key=key, verify=True)
    m = npk.manifest
    shapes = load_shapes(npk)
    per_shape = {}
    for cs in shapes:
        plan = m["programs"][cs.key]["memory_plan"]
        pl = m.get("placement", {}).get(cs.key, {})
        kinds = [r.kernel for r in cs.program.records]
        per_shape[cs.key] = {
            "records": len(kinds), "npu_records": sum(r.engine == "npu"
                                                      for r in cs.program.records),
            "placement": pl.get("counts", {}), "segments": len(pl.get("segments", [])),
            "transfers": pl.get("transfers", {}),
            "cpu_nodes": [{"node": n["node"], "op_type": n["op_type"], "reason": n["reason"]}
                          for n in pl.get("nodes", []) if n["engine"] == "cpu"],
            "arena_bytes": plan["arena_bytes"], "lower_bound": plan["lower_bound"],
            "naive_bytes": plan["naive_bytes"]}
    return {"file": str(npk.path), "format_version": npk.format_version,
            "npukit_version": npk.npukit_version, "created": npk.created,
            "encrypted": npk.encrypted, "checksum": "ok", "target": npk.target,
            "model": m["model"].get("name"), "inputs": [_io(t) for t in shapes[0].inputs],
            "outputs": [_io(t) for t in shapes[0].outputs], "shapes": per_shape,
            "tensors": len(npk.tensors), "tensor_bytes": npk.tensors.nbytes,
            "packed_tensors": len(m.get("packing", {})),
            "preprocess": m.get("preprocess"), "compiler": m.get("compiler", {}),
            "model_inputs": [_io(t) for t in shapes[0].model_inputs],
            "aipp": {n: _aipp(a) for n, a in shapes[0].aipp.items()}}


def _aipp(a: AippInput) -> dict[str, Any]:
    return {"mode": a.stage.cfg.aipp_mode, "frame": list(a.stage.input_spec().shape),
            "params_input": a.params_input, "fold_exact": a.fold_exact,
            "rounding": a.rounding, "summary": a.stage.summary(),
            "config": to_dict(a.stage.cfg)}


def format_npk_info(info: dict[str, Any]) -> str:
    enc = ", encrypted" if info["encrypted"] else ""
    lines = [f"{info['file']}: npukit .npk v{info['format_version']} (npukit "
             f"{info['npukit_version']}{enc}), model {info['model']!r} for {info['target']}",
             f"checksum: {info['checksum']}; {info['tensors']} tensors, "
             f"{info['tensor_bytes']} bytes ({info['packed_tensors']} int4-packed)"]
    for side in ("inputs", "outputs"):
        lines.append(f"{side}:")
        for t in info[side]:
            q = t["quant"]
            qs = "" if q is None else (f"  quant {q['dtype']} scale {q['scale'][0]:.6g} "
                                       f"zp {q['zero_point'][0]}")
            lines.append(f"  {t['name']}: {t['dtype']} {t['shape']} {t['layout']}{qs}")
    lines += _format_aipp(info)
    for key, s in info["shapes"].items():
        c = s["placement"]
        lines.append(f"shape {key}: {s['records']} records ({s['npu_records']} on the NPU); "
                     f"nodes {c.get('npu', 0)} NPU / {c.get('cpu', 0)} CPU; {s['segments']} "
                     f"segments; transfers {s['transfers']}")
        lines.append(f"  activation arena {s['arena_bytes']} B (lower bound "
                     f"{s['lower_bound']} B, naive {s['naive_bytes']} B)")
        for n in s["cpu_nodes"]:
            lines.append(f"  CPU {n['node']} ({n['op_type']}): {n['reason']}")
    return "\n".join(lines)


def _format_aipp(info: dict[str, Any]) -> list[str]:
    model = {t["name"]: t for t in info.get("model_inputs", [])}
    lines = []
    for name, a in info.get("aipp", {}).items():
        q = model[name]["quant"]
        fold = {True: "exact", False: "within one code", None: "set per run"}[a["fold_exact"]]
        lines.append(f"AIPP ({a['mode']}) on {name!r}: frames uint8{a['frame']} -> model input "
                     f"{model[name]['shape']} quant {q['dtype']} scale {q['scale'][0]:.6g} zp "
                     f"{q['zero_point'][0]} (normalisation folded in: {fold})")
        if a["params_input"]:
            lines.append(f"  dynamic parameters per run: input {a['params_input']!r} or "
                         "Runtime.set_aipp(...)")
        lines += ["  " + line for line in a["summary"].splitlines()]
    return lines
