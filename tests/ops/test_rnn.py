"""LSTM, GRU and RNN against ONNX Runtime: directions, layouts, bias, initial
states, sequence_lens, peepholes, linear_before_reset, activations and clip."""

import numpy as np
import pytest
from ortcheck import check_node, node_model, npk_run, ort_run

from npukit.frontends.onnx import import_model

GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
T, B, IN, H = 5, 3, 4, 6


def _inputs(rng, op, direction, *, bias=True, lens=None, init=False, peep=False, layout=0):
    d = 2 if direction == "bidirectional" else 1
    g = GATES[op]
    x = rng.standard_normal((B, T, IN) if layout else (T, B, IN)).astype(np.float32)
    w = (0.5 * rng.standard_normal((d, g * H, IN))).astype(np.float32)
    r = (0.5 * rng.standard_normal((d, g * H, H))).astype(np.float32)
    ins = [("x", x), ("w", w), ("r", r)]
    ins.append(("b", rng.standard_normal((d, 2 * g * H)).astype(np.float32)) if bias
               else ("", None))
    ins.append(("lens", np.asarray(lens, np.int32)) if lens is not None else ("", None))
    state = (B, d, H) if layout else (d, B, H)
    if init:
        ins.append(("h0", rng.standard_normal(state).astype(np.float32)))
        if op == "LSTM":
            ins.append(("c0", rng.standard_normal(state).astype(np.float32)))
    elif op == "LSTM" and peep:
        ins += [("", None), ("", None)]
    if peep:
        ins.append(("p", rng.standard_normal((d, 3 * H)).astype(np.float32)))
    return ins


def _check(op, ins, **attrs):
    n_out = 3 if op == "LSTM" else 2
    check_node(op, ins, n_out, consts=("w", "r", "b", "p"), hidden_size=H, rtol=1e-4,
               atol=1e-5, **attrs)


@pytest.mark.parametrize("op", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_directions(rng, op, direction):
    _check(op, _inputs(rng, op, direction), direction=direction)


@pytest.mark.parametrize("op", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_sequence_lens_and_initial_state(rng, op, direction):
    _check(op, _inputs(rng, op, direction, lens=[5, 2, 4], init=True), direction=direction)


@pytest.mark.parametrize("op", ["RNN", "GRU", "LSTM"])
def test_no_bias(rng, op):
    _check(op, _inputs(rng, op, "forward", bias=False))


@pytest.mark.parametrize("op", ["RNN", "GRU", "LSTM"])
def test_layout_1(rng, op):
    """ORT has no batch-first kernels: compare with ORT's layout 0 on transposed data."""
    ins = _inputs(rng, op, "bidirectional", init=True, layout=1)
    n_out = 3 if op == "LSTM" else 2
    attrs = dict(hidden_size=H, direction="bidirectional")
    model, feeds = node_model(op, ins, n_out, consts=("w", "r", "b"), layout=1, **attrs)
    ours = npk_run(import_model(model), feeds)
    seq_first = [(n, np.swapaxes(a, 0, 1) if n in ("x", "h0", "c0") else a) for n, a in ins]
    model0, feeds0 = node_model(op, seq_first, n_out, consts=("w", "r", "b"), **attrs)
    ref = ort_run(model0, feeds0)
    np.testing.assert_allclose(ours[0], np.transpose(ref[0], (2, 0, 1, 3)), rtol=1e-4,
                               atol=1e-5)
    for a, b in zip(ours[1:], ref[1:]):
        np.testing.assert_allclose(a, np.swapaxes(b, 0, 1), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("direction", ["forward", "bidirectional"])
def test_lstm_peepholes(rng, direction):
    _check("LSTM", _inputs(rng, "LSTM", direction, init=True, peep=True), direction=direction)


def test_lstm_input_forget(rng):
    _check("LSTM", _inputs(rng, "LSTM", "forward"), input_forget=1)


def test_gru_linear_before_reset(rng):
    _check("GRU", _inputs(rng, "GRU", "bidirectional", init=True), linear_before_reset=1,
           direction="bidirectional")


@pytest.mark.parametrize("op", ["RNN", "GRU", "LSTM"])
def test_clip(rng, op):
    _check(op, _inputs(rng, op, "forward"), clip=0.7)


@pytest.mark.parametrize("op,acts,alpha,beta", [
    ("RNN", ["Relu"], [], []),
    ("RNN", ["LeakyRelu", "HardSigmoid"], [0.1, 0.3], [0.4]),
    ("GRU", ["HardSigmoid", "Softsign"], [0.3], [0.6]),
    ("LSTM", ["HardSigmoid", "Elu", "ScaledTanh"], [0.25, 0.8, 1.5], [0.5, 0.7]),
])
def test_activations(rng, op, acts, alpha, beta):
    direction = "bidirectional" if op == "RNN" and len(acts) == 2 else "forward"
    attrs = {"activations": acts}
    if alpha:
        attrs["activation_alpha"] = alpha
    if beta:
        attrs["activation_beta"] = beta
    _check(op, _inputs(rng, op, direction), direction=direction, **attrs)
