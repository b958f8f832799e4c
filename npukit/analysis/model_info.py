"""``npukit info``: what a model is, in numbers (I/O, ops, parameters, MACs per layer)."""

from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

from npukit.ir import Graph
from npukit.ops import TensorType, get_op


def _io(g: Graph, names: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for n in names:
        v = g.values[n]
        out.append({"name": n, "dtype": v.dtype,
                    "shape": None if v.shape is None else list(v.shape)})
    return out


def layer_macs(g: Graph) -> list[dict[str, Any]]:
    """MACs of every node that does arithmetic, in graph order (user node names)."""
    rows = []
    for node in g.nodes:
        op = get_op(node.op_type, node.domain, node=node.name)
        ins = [TensorType(g.values[i].dtype, g.values[i].shape) if i else None
               for i in node.inputs]
        outs = [TensorType(g.values[o].dtype, g.values[o].shape) if o else None
                for o in node.outputs]
        m = op.macs(node, ins, outs)
        if m:
            rows.append({"node": node.name, "op": node.op_type, "macs": int(m)})
    return rows


def summarize(g: Graph) -> dict[str, Any]:
    """Summary of an IR graph (no file access)."""
    params = sum(int(v.const.size) for v in g.values.values()
                 if v.const is not None and v.const.dtype.kind == "f")
    layers = layer_macs(g)
    return {
        "name": g.name, "opset": g.opset,
        "inputs": _io(g, g.inputs), "outputs": _io(g, g.outputs),
        "nodes": len(g.nodes), "ops": g.op_histogram(),
        "parameters": params,
        "weight_bytes": sum(int(v.const.nbytes) for v in g.values.values()
                            if v.const is not None),
        "macs": sum(r["macs"] for r in layers), "layers": layers,
        "dynamic_inputs": [n for n in g.inputs if g.values[n].shape is None or
                           not all(isinstance(d, int) for d in g.values[n].shape)],
    }


def describe(path: str | os.PathLike, *, input_shapes: Mapping[str, Sequence[int]] | None = None,
             level: str = "O3") -> dict[str, Any]:
    """Import ``path``, summarise it before and after the optimiser, say what it did."""
    from npukit.frontends.onnx import import_model
    from npukit.passes import optimize
    g = import_model(path, input_shapes=input_shapes)
    info = summarize(g)
    info["file"] = str(path)
    opt, report = optimize(g, level=level)
    info["optimized"] = {"level": level, "nodes": len(opt.nodes), "ops": opt.op_histogram(),
                         "macs": summarize(opt)["macs"],
                         "passes": [{k: p[k] for k in ("name", "changes", "nodes_after")}
                                    for p in report.to_dict()["passes"]]}
    return info


def _human(n: float) -> str:
    for unit in ("", "K", "M", "G", "T"):
        if abs(n) < 1000:
            return f"{n:.3g}{unit}"
        n /= 1000
    return f"{n:.3g}P"


def format_info(info: dict[str, Any], top: int = 15) -> str:
    lines = [f"model   {info.get('file', info['name'])}  (graph {info['name']!r}, "
             f"opset {info['opset']})"]
    for kind in ("inputs", "outputs"):
        for io in info[kind]:
            shape = "?" if io["shape"] is None else "×".join(str(d) for d in io["shape"])
            lines.append(f"{kind[:-1]:<7} {io['name']}: {io['dtype']}[{shape}]")
    lines.append(f"nodes   {info['nodes']}   parameters {_human(info['parameters'])} "
                 f"({_human(info['weight_bytes'])}B)   MACs {_human(info['macs'])}")
    lines.append("ops     " + ", ".join(f"{k}×{v}" for k, v in info["ops"].items()))
    if info["dynamic_inputs"]:
        lines.append(f"dynamic inputs {info['dynamic_inputs']} (fix with --input-shape)")
    layers = sorted(info["layers"], key=lambda r: -r["macs"])[:top]
    if layers:
        lines.append(f"\nheaviest layers (of {len(info['layers'])} with MACs)")
        lines.append(f"  {'node':<40} {'op':<12} {'MACs':>10} {'share':>6}")
        for r in layers:
            share = 100.0 * r["macs"] / max(info["macs"], 1)
            lines.append(f"  {r['node'][:40]:<40} {r['op']:<12} {_human(r['macs']):>10} "
                         f"{share:5.1f}%")
    opt = info.get("optimized")
    if opt:
        lines.append(f"\noptimiser -{opt['level']}: {info['nodes']} → {opt['nodes']} nodes")
        for p in opt["passes"]:
            if p.get("changes"):
                lines.append(f"  {p['name']:<28} {len(p['changes'])} change(s)")
    return "\n".join(lines)
