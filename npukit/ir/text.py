"""A stable, human-readable text form of a Graph that parses back.

    graph "tiny" opset 21 {
      input x: f32[1,3,8,8]
      const w: f32[4,3,3,3] = <9f2c1a0b7d3e>
      const shape: i64[2] = [1, -1]
      node conv = Conv(x, w, "") -> (y: f32[1,4,8,8]) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
      output y
    }

Names that are not plain identifiers are JSON-quoted; ``""`` is an omitted
optional input.  Small constants are written in full; larger ones as a digest
that ``parse_graph`` resolves from its ``tensors`` argument.  When writing
tests by hand a constant may also be ``randn`` (seeded by its name), ``zeros``
or ``ones``.  Attributes are sorted by name and floats use ``repr`` so a
round trip is exact.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from typing import Any

import numpy as np

from npukit.errors import GraphError
from npukit.ir.dtypes import LONG, SHORT, to_numpy
from npukit.ir.graph import Graph, Node, Value
from npukit.ir.quant import QuantParams

INLINE_LIMIT = 16
_BARE = re.compile(r"^[A-Za-z_][A-Za-z0-9_./\-]*$")


def digest(arr: np.ndarray) -> str:
    h = hashlib.sha256(f"{arr.dtype}{arr.shape}".encode())
    h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()[:12]


def _name(s: str) -> str:
    return s if _BARE.match(s) and s != "randn" else json.dumps(s)


def _type(v: Value | None) -> str:
    if v is None or v.dtype is None:
        t = "?"
    else:
        t = SHORT.get(v.dtype, v.dtype)
    if v is None or v.shape is None:
        return t
    dims = (str(d) if isinstance(d, int) or d == "?" else _name(str(d)) for d in v.shape)
    return t + "[" + ",".join(dims) + "]"


def _quant(v: Value | None) -> str:
    """`` ~ i8(scale=…, zp=…)`` or per-channel ``~ i8(axis=0, scale=[…], zp=[…])``."""
    q = None if v is None else v.quant
    if q is None:
        return ""
    short = SHORT.get(q.dtype, q.dtype)
    if q.axis is None:
        return f" ~ {short}(scale={_scalar(q.scale[0])}, zp={int(q.zero_point[0])})"
    if q.scale.size <= INLINE_LIMIT:
        sc, zp = _flat(q.scale), _flat(q.zero_point)
    else:
        sc, zp = f"<{digest(q.scale)}>", f"<{digest(q.zero_point)}>"
    return f" ~ {short}(axis={q.axis}, scale={sc}, zp={zp})"


def _scalar(x: Any) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        f = float(x)
        if np.isfinite(f) and float(np.float32(f)) == f:
            return str(np.float32(f))  # shortest text that gives back the same float32
        return repr(f)  # nan / inf / -inf are bare words, parsed by float()
    return json.dumps(str(x))


def _attr(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"tensor({_type(Value('', _dt(x), tuple(x.shape)))}: {_flat(x)})"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_attr(e) for e in x) + "]"
    if isinstance(x, bytes):
        return json.dumps(x.decode("utf-8", "replace"))
    return _scalar(x)


def _dt(x: np.ndarray) -> str:
    from npukit.ir.dtypes import dtype_name
    return dtype_name(x.dtype)


def _flat(x: np.ndarray) -> str:
    return "[" + ", ".join(_scalar(e) for e in np.asarray(x).reshape(-1).tolist()) + "]"


def print_graph(g: Graph) -> str:
    """The text form of ``g`` (deterministic: same graph, same text)."""
    lines = [f"graph {_name(g.name)} opset {g.opset} {{"]
    for i in g.inputs:
        lines.append(f"  input {_name(i)}: {_type(g.values.get(i))}{_quant(g.values.get(i))}")
    for name in sorted(k for k, v in g.values.items() if v.const is not None):
        v = g.values[name]
        assert v.const is not None
        body = _flat(v.const) if v.const.size <= INLINE_LIMIT else f"<{digest(v.const)}>"
        lines.append(f"  const {_name(name)}: {_type(v)} = {body}{_quant(v)}")
    for n in g.nodes:
        ins = ", ".join(_name(i) if i else '""' for i in n.inputs)
        outs = ", ".join(f"{_name(o)}: {_type(g.values.get(o))}{_quant(g.values.get(o))}"
                         if o else '""' for o in n.outputs)
        op = n.op_type if not n.domain else f"{n.domain}::{n.op_type}"
        attrs = ", ".join(f"{k}={_attr(n.attrs[k])}" for k in sorted(n.attrs))
        line = f"  node {_name(n.name)} = {op}({ins}) -> ({outs})"
        lines.append(line + (f" {{{attrs}}}" if attrs else ""))
    for o in g.outputs:
        lines.append(f"  output {_name(o)}")
    lines.append("}")
    return "\n".join(lines) + "\n"


_TOKEN = re.compile(r'''\s*(?:("(?:[^"\\]|\\.)*")|(->|::|[{}()\[\]=:,<>~])
                    |([^\s"{}()\[\]=:,<>~]+))''', re.VERBOSE)


class _Lexer:
    def __init__(self, text: str) -> None:
        self.toks: list[tuple[str, str]] = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise GraphError(f"text form: cannot read {text[pos:pos + 30]!r}")
            pos = m.end()
            if m.group(1) is not None:
                self.toks.append(("str", json.loads(m.group(1))))
            elif m.group(2) is not None:
                self.toks.append(("p", m.group(2)))
            elif m.group(3) is not None:
                self.toks.append(("w", m.group(3)))
        self.i = 0

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i] if self.i < len(self.toks) else ("eof", "")

    def next(self) -> tuple[str, str]:
        t = self.peek()
        self.i += 1
        return t

    def expect(self, val: str) -> None:
        k, v = self.next()
        if v != val or k == "str":
            raise GraphError(f"text form: expected {val!r}, found {v!r} (token {self.i})")

    def name(self) -> str:
        k, v = self.next()
        if k not in ("w", "str"):
            raise GraphError(f"text form: expected a name, found {v!r} (token {self.i})")
        return v

    def accept(self, val: str) -> bool:
        k, v = self.peek()
        if k != "str" and v == val:
            self.i += 1
            return True
        return False


def _parse_type(lx: _Lexer) -> tuple[str | None, tuple | None]:
    t = lx.name()
    dtype = None if t == "?" else LONG.get(t)
    if t != "?" and dtype is None:
        raise GraphError(f"text form: unknown element type {t!r} (use one of {sorted(LONG)})")
    if not lx.accept("["):
        return dtype, None
    dims: list = []
    while not lx.accept("]"):
        k, v = lx.next()
        dims.append(int(v) if k == "w" and re.fullmatch(r"-?\d+", v) else v)
        lx.accept(",")
    return dtype, tuple(dims)


def _parse_scalar(k: str, v: str) -> Any:
    if k == "str":
        return v
    if v in ("true", "false"):
        return v == "true"
    if re.fullmatch(r"-?\d+", v):
        return int(v)
    try:
        return float(v)
    except ValueError:
        raise GraphError(f"text form: cannot read value {v!r}") from None


def _parse_list(lx: _Lexer) -> list:
    out: list = []
    lx.expect("[")
    while not lx.accept("]"):
        out.append(_parse_attr(lx))
        lx.accept(",")
    return out


def _parse_attr(lx: _Lexer) -> Any:
    k, v = lx.peek()
    if k == "p" and v == "[":
        return _parse_list(lx)
    if k == "w" and v == "tensor":
        lx.next()
        lx.expect("(")
        dtype, shape = _parse_type(lx)
        lx.expect(":")
        flat = _parse_list(lx)
        lx.expect(")")
        return np.array(flat, dtype=to_numpy(dtype or "float32")).reshape(shape or ())
    lx.next()
    return _parse_scalar(k, v)


def _const_data(lx: _Lexer, name: str, dtype: str | None, shape: tuple | None,
                tensors: dict[str, np.ndarray] | None) -> np.ndarray:
    if dtype is None or shape is None or not all(isinstance(d, int) for d in shape):
        raise GraphError(f"text form: constant {name!r} needs a static type")
    npdt = to_numpy(dtype)
    k, v = lx.peek()
    if k == "p" and v == "[":
        return np.array(_parse_list(lx), dtype=npdt).reshape(shape)
    if lx.accept("<"):
        want = lx.name()
        lx.expect(">")
        arr = None if tensors is None else tensors.get(name)
        if arr is None:
            raise GraphError(f"text form: constant {name!r} is given by digest <{want}>; "
                             "pass its data in tensors=")
        if digest(np.asarray(arr)) != want:
            raise GraphError(f"text form: data for constant {name!r} does not match <{want}>")
        return np.asarray(arr)
    word = lx.name()
    if word == "randn":
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        return rng.standard_normal(shape).astype(npdt)
    if word in ("zeros", "ones"):
        return (np.zeros if word == "zeros" else np.ones)(shape, dtype=npdt)
    raise GraphError(f"text form: constant {name!r} has unknown initialiser {word!r}")


def _parse_quant(lx: _Lexer, name: str, tensors: dict[str, np.ndarray] | None
                 ) -> QuantParams | None:
    if not lx.accept("~"):
        return None
    dtype = LONG.get(lx.name())
    lx.expect("(")
    fields: dict[str, Any] = {}
    while not lx.accept(")"):
        key = lx.name()
        lx.expect("=")
        if lx.accept("<"):
            want = lx.name()
            lx.expect(">")
            arr = None if tensors is None else tensors.get(f"{name}.{key}")
            if arr is None or digest(np.asarray(arr)) != want:
                raise GraphError(f"text form: quant {key} of {name!r} is given by digest "
                                 f"<{want}>; pass matching data as tensors['{name}.{key}']")
            fields[key] = arr
        else:
            fields[key] = _parse_attr(lx)
        lx.accept(",")
    if dtype is None:
        raise GraphError(f"text form: bad quant dtype for {name!r}")
    try:
        return QuantParams(dtype, np.atleast_1d(np.asarray(fields["scale"], np.float32)),
                           np.atleast_1d(np.asarray(fields["zp"], np.int32)), fields.get("axis"))
    except (KeyError, ValueError) as e:
        raise GraphError(f"text form: bad quant params for {name!r}: {e}") from None


def quant_tensors(g: Graph) -> dict[str, np.ndarray]:
    """Per-channel quant arrays keyed as ``parse_graph(tensors=…)`` expects them."""
    out: dict[str, np.ndarray] = {}
    for name, v in g.values.items():
        if v.quant is not None and v.quant.axis is not None:
            out[f"{name}.scale"] = v.quant.scale
            out[f"{name}.zp"] = v.quant.zero_point
    return out


def parse_graph(text: str, tensors: dict[str, np.ndarray] | None = None) -> Graph:
    """Parse the text form back into a Graph (see the module docstring)."""
    lx = _Lexer(text)
    if lx.name() != "graph":
        raise GraphError("text form: must start with 'graph'")
    g = Graph(lx.name())
    if lx.name() != "opset":
        raise GraphError("text form: expected 'opset N' after the graph name")
    g.opset = int(lx.name())
    lx.expect("{")
    while not lx.accept("}"):
        kw = lx.name()
        if kw == "input":
            name = lx.name()
            lx.expect(":")
            v = g.add_input(name, *_parse_type(lx))
            v.quant = _parse_quant(lx, name, tensors)
        elif kw == "const":
            name = lx.name()
            lx.expect(":")
            dtype, shape = _parse_type(lx)
            lx.expect("=")
            v = g.add_const(name, _const_data(lx, name, dtype, shape, tensors))
            v.quant = _parse_quant(lx, name, tensors)
        elif kw == "node":
            g.add_node(_parse_node(lx, g, tensors))
        elif kw == "output":
            g.outputs.append(lx.name())
        else:
            raise GraphError(f"text form: unknown statement {kw!r}")
    g.invalidate()
    return g


def _parse_node(lx: _Lexer, g: Graph, tensors: dict[str, np.ndarray] | None) -> Node:
    name = lx.name()
    lx.expect("=")
    op = lx.name()
    domain = ""
    if lx.accept("::"):
        domain, op = op, lx.name()
    lx.expect("(")
    ins: list[str] = []
    while not lx.accept(")"):
        ins.append(lx.name())
        lx.accept(",")
    lx.expect("->")
    lx.expect("(")
    outs: list[str] = []
    while not lx.accept(")"):
        o = lx.name()
        outs.append(o)
        if o and lx.accept(":"):
            dtype, shape = _parse_type(lx)
            g.values[o] = Value(o, dtype, shape, quant=_parse_quant(lx, o, tensors))
        lx.accept(",")
    attrs: dict[str, Any] = {}
    if lx.accept("{"):
        while not lx.accept("}"):
            key = lx.name()
            lx.expect("=")
            attrs[key] = _parse_attr(lx)
            lx.accept(",")
    return Node(name, op, ins, outs, attrs, domain)
