"""Recurrent ops: LSTM, GRU and RNN (ONNX semantics, all directions and layouts).

The input projection ``X·Wᵀ + Wb`` of every time step is one BLAS matmul; the
time loop then does one ``H·Rᵀ`` matmul per step.  ``sequence_lens`` is a mask:
a batch row past its length keeps its hidden/cell state and emits zeros, so the
reverse direction (which walks t = T-1 … 0) starts at the row's last valid step.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from npukit.errors import UnsupportedOpError
from npukit.ir import Node
from npukit.ops.registry import Op, TensorType, register
from npukit.ops.shapes import numel

Act = Callable[[np.ndarray], np.ndarray]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


# name → (number of (alpha, beta) parameters it takes, defaults, function factory)
_ACTS: dict[str, tuple[int, tuple[float, float], Callable[[float, float], Act]]] = {
    "relu": (0, (0.0, 0.0), lambda a, b: lambda x: np.maximum(x, 0)),
    "tanh": (0, (0.0, 0.0), lambda a, b: np.tanh),
    "sigmoid": (0, (0.0, 0.0), lambda a, b: _sigmoid),
    "softsign": (0, (0.0, 0.0), lambda a, b: lambda x: x / (1 + np.abs(x))),
    "softplus": (0, (0.0, 0.0), lambda a, b: _softplus),
    "affine": (2, (1.0, 0.0), lambda a, b: lambda x: a * x + b),
    "leakyrelu": (1, (0.01, 0.0), lambda a, b: lambda x: np.where(x >= 0, x, a * x)),
    "thresholdedrelu": (1, (1.0, 0.0), lambda a, b: lambda x: np.where(x > a, x, 0)),
    "scaledtanh": (2, (1.0, 1.0), lambda a, b: lambda x: a * np.tanh(b * x)),
    "hardsigmoid": (2, (0.2, 0.5), lambda a, b: lambda x: np.clip(a * x + b, 0, 1)),
    "elu": (1, (1.0, 0.0), lambda a, b: lambda x: np.where(x >= 0, x, a * np.expm1(x))),
}


def activations(node: Node, defaults: Sequence[str], n_dir: int) -> list[list[Act]]:
    """Per direction, the activation functions; alpha/beta are consumed in order."""
    names = node.attr("activations") or list(defaults) * n_dir
    alphas = list(node.attr("activation_alpha") or [])
    betas = list(node.attr("activation_beta") or [])
    per = len(defaults)
    if len(names) != per * n_dir:
        raise UnsupportedOpError(node.op_type, node.name, detail=f"{len(names)} activations "
                                 f"given, {per * n_dir} expected")
    fns: list[Act] = []
    for name in names:
        key = name.lower()
        if key not in _ACTS:
            raise UnsupportedOpError(node.op_type, node.name,
                                     detail=f"activation {name!r} is not implemented")
        n_par, (a, b), make = _ACTS[key]
        if n_par >= 1 and alphas:
            a = float(alphas.pop(0))
        if n_par >= 2 and betas:
            b = float(betas.pop(0))
        fns.append(make(a, b))
    return [fns[d * per:(d + 1) * per] for d in range(n_dir)]


class Recurrent(Op):
    """Shared plumbing: layouts, directions, masks, outputs.  Subclasses give ``gates``
    (weights per hidden unit), ``default_acts`` and ``cell`` (one time step)."""

    gates: int = 1
    default_acts: tuple[str, ...] = ()
    n_outputs: int = 2

    def infer(self, node: Node, ins: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = ins[0]
        dtype = x.dtype if x else None
        n_dir = 2 if node.attr("direction", "forward") == "bidirectional" else 1
        hidden = node.attr("hidden_size")
        r = ins[2] if len(ins) > 2 else None
        if hidden is None and r is not None and r.shape is not None:
            hidden = r.shape[-1]
        if x is None or x.shape is None or hidden is None:
            return [TensorType(dtype, None)] * self.n_outputs
        if node.attr("layout", 0):
            b, t = x.shape[0], x.shape[1]
            y, yh = (b, t, n_dir, hidden), (b, n_dir, hidden)
        else:
            t, b = x.shape[0], x.shape[1]
            y, yh = (t, n_dir, b, hidden), (n_dir, b, hidden)
        return [TensorType(dtype, y)] + [TensorType(dtype, yh)] * (self.n_outputs - 1)

    def run(self, node: Node, inputs: Sequence[Any]) -> list[np.ndarray]:
        args = list(inputs) + [None] * (8 - len(inputs))
        x, w, r, bias, seq_lens, h0 = args[:6]
        layout = int(node.attr("layout", 0))
        out_dtype = x.dtype
        dtype = np.result_type(x.dtype, np.float32)
        if layout:
            x = np.swapaxes(x, 0, 1)
        steps, batch = x.shape[:2]
        direction = node.attr("direction", "forward")
        n_dir = 2 if direction == "bidirectional" else 1
        hidden = int(node.attr("hidden_size") or r.shape[-1])
        states = [self._state0(s, n_dir, batch, hidden, dtype, layout)
                  for s in ([h0] + list(self._extra_states(args)))]
        lens = np.full(batch, steps) if seq_lens is None else np.asarray(seq_lens)
        acts = activations(node, self.default_acts, n_dir)
        clip = node.attr("clip")
        ys, finals = [], []
        for d in range(n_dir):
            reverse = direction == "reverse" or d == 1
            wb, rb = (np.zeros(self.gates * hidden, dtype),) * 2 if bias is None else \
                np.split(bias[d].astype(dtype), 2)
            xw = np.matmul(x.astype(dtype), w[d].astype(dtype).T) + wb   # (T, B, G·H)
            params = self._params(node, args, d, dtype, hidden)
            y, last = self._scan(node, xw, r[d].astype(dtype), rb, [s[d] for s in states],
                                 lens, reverse, acts[d], clip, params)
            ys.append(y)
            finals.append(last)
        y = np.stack(ys, axis=1)                                          # (T, D, B, H)
        outs = [y] + [np.stack([f[k] for f in finals]) for k in range(self.n_outputs - 1)]
        if layout:
            outs = [np.transpose(outs[0], (2, 0, 1, 3))] + [np.swapaxes(o, 0, 1)
                                                             for o in outs[1:]]
        return [np.ascontiguousarray(o, dtype=out_dtype) for o in outs]

    @staticmethod
    def _state0(s: np.ndarray | None, n_dir: int, batch: int, hidden: int, dtype: Any,
                layout: int) -> np.ndarray:
        if s is None:
            return np.zeros((n_dir, batch, hidden), dtype)
        return (np.swapaxes(s, 0, 1) if layout else s).astype(dtype)

    def _extra_states(self, args: Sequence[Any]) -> list[np.ndarray | None]:
        return []

    def _params(self, node: Node, args: Sequence[Any], d: int, dtype: Any,
                hidden: int) -> Any:
        return None

    def _scan(self, node: Node, xw: np.ndarray, r: np.ndarray, rb: np.ndarray,
              states: list[np.ndarray], lens: np.ndarray, reverse: bool, acts: list[Act],
              clip: float | None, params: Any) -> tuple[np.ndarray, list[np.ndarray]]:
        steps = xw.shape[0]
        y = np.zeros((steps,) + states[0].shape, xw.dtype)
        rt = np.ascontiguousarray(r.T)
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        for t in order:
            new = self.cell(node, xw[t], states, rt, rb, acts, clip, params)
            live = (t < lens)[:, None]
            states = [np.where(live, n, s) for n, s in zip(new, states)]
            y[t] = np.where(live, new[0], 0)
        return y, states

    def cell(self, node: Node, xw: np.ndarray, states: list[np.ndarray], rt: np.ndarray,
             rb: np.ndarray, acts: list[Act], clip: float | None,
             params: Any) -> list[np.ndarray]:
        raise NotImplementedError

    def macs(self, node: Node, ins: Sequence[TensorType | None],
             outs: Sequence[TensorType | None]) -> int:
        if any(t is None or t.shape is None for t in ins[:3]):
            return 0
        x, w, r = ins[0], ins[1], ins[2]
        steps = numel(x.shape[:2])  # type: ignore[union-attr]
        return steps * (numel(w.shape) + numel(r.shape))  # type: ignore[union-attr]


def _clip(v: np.ndarray, clip: float | None) -> np.ndarray:
    return v if clip is None else np.clip(v, -clip, clip)


@register
class RNN(Recurrent):
    """Ht = f(Xt·Wᵀ + Ht-1·Rᵀ + Wb + Rb)."""

    op_type = "RNN"
    versions = (7, 14, 22)
    gates = 1
    default_acts = ("Tanh",)

    def cell(self, node: Node, xw: np.ndarray, states: list[np.ndarray], rt: np.ndarray,
             rb: np.ndarray, acts: list[Act], clip: float | None,
             params: Any) -> list[np.ndarray]:
        return [acts[0](_clip(xw + states[0] @ rt + rb, clip))]


@register
class GRU(Recurrent):
    """Gates z, r, h (ONNX order); ``linear_before_reset`` applies r after ``H·Rhᵀ + Rbh``."""

    op_type = "GRU"
    versions = (7, 14, 22)
    gates = 3
    default_acts = ("Sigmoid", "Tanh")

    def cell(self, node: Node, xw: np.ndarray, states: list[np.ndarray], rt: np.ndarray,
             rb: np.ndarray, acts: list[Act], clip: float | None,
             params: Any) -> list[np.ndarray]:
        f, g = acts
        h = states[0]
        hid = h.shape[-1]
        xz, xr, xh = np.split(xw, 3, axis=-1)
        hz_r = h @ rt[:, :2 * hid] + rb[:2 * hid]
        z = f(_clip(xz + hz_r[:, :hid], clip))
        r = f(_clip(xr + hz_r[:, hid:], clip))
        if node.attr("linear_before_reset", 0):
            hh = g(_clip(xh + r * (h @ rt[:, 2 * hid:] + rb[2 * hid:]), clip))
        else:
            hh = g(_clip(xh + (r * h) @ rt[:, 2 * hid:] + rb[2 * hid:], clip))
        return [(1 - z) * hh + z * h]


@register
class LSTM(Recurrent):
    """Gates i, o, f, c (ONNX order), optional peepholes P = [Pi, Po, Pf], input_forget."""

    op_type = "LSTM"
    versions = (7, 14, 22)
    gates = 4
    default_acts = ("Sigmoid", "Tanh", "Tanh")
    n_outputs = 3

    def _extra_states(self, args: Sequence[Any]) -> list[np.ndarray | None]:
        return [args[6]]

    def _params(self, node: Node, args: Sequence[Any], d: int, dtype: Any,
                hidden: int) -> Any:
        p = args[7]
        if p is None:
            return None
        return np.split(p[d].astype(dtype), 3)

    def cell(self, node: Node, xw: np.ndarray, states: list[np.ndarray], rt: np.ndarray,
             rb: np.ndarray, acts: list[Act], clip: float | None,
             params: Any) -> list[np.ndarray]:
        f, g, h_act = acts
        h, c = states
        gi, go, gf, gc = np.split(xw + h @ rt + rb, 4, axis=-1)
        if params is not None:
            pi, po, pf = params
            gi = gi + pi * c
            gf = gf + pf * c
        i = f(_clip(gi, clip))
        fg = 1 - i if node.attr("input_forget", 0) else f(_clip(gf, clip))
        c_new = fg * c + i * g(_clip(gc, clip))
        if params is not None:
            go = go + params[1] * c_new
        o = f(_clip(go, clip))
        return [o * h_act(c_new), c_new]


__all__ = ["GRU", "LSTM", "RNN", "Recurrent", "activations"]
