"""AdaRound's optimisation for one layer (Nagel et al. 2020, "Up or Down?").

Rows are output channels, grouped: weights ``w`` (G, M, K) with their scales
``s`` (G, M, 1).  Each weight rounds either down or up: ``q = floor(w/s) + r``,
``r ∈ {0, 1}``.  The soft rounding ``h(V) = clip(σ(V)(ζ − γ) + γ, 0, 1)``
(the rectified sigmoid, ζ = 1.1, γ = −0.1) makes ``r`` continuous.  Minimise

    ‖T − W̃ X‖² / P  +  λ Σ (1 − |2h(V) − 1|^β),   W̃ = s · clip(floor(w/s) + h(V))

with Adam, β annealed from 20 to 2 after a warm-up without the regulariser
(AIMET / BRECQ defaults: λ = 0.01, warm-up 20 %).  The regulariser drives
every ``h`` to 0 or 1, and at the end ``r = [V ≥ 0]`` (``h ≥ ½``).
``X`` (G, K, P) holds the layer's inputs at P positions (golden or the
quantized model's: see adaround.py) and ``T`` (G, M, P) its float outputs
``W x`` on the golden inputs.

Two forms of the reconstruction gradient ``2(W̃ X − T) Xᵀ / P``, whichever
costs less per step: the Gram form ``2(W̃ H − B)`` with ``H = XXᵀ/P`` and
``B = TXᵀ/P`` computed once (``M·K²`` per step), or a random mini-batch of
``batch`` positions per step (``2·M·K·batch``; a random window of the positions
shuffled once, so no gather per step), as the paper does.  A small
damping ``damp · mean(diag H) · ‖W̃ − w‖²`` keeps nearly singular ``H`` (few
positions for many inputs) from steering the rounding along directions the
samples barely see; it favours nearest rounding there.  Everything runs in
float32, all channels of a layer at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ZETA, GAMMA = 1.1, -0.1
V_EDGE = float(np.log(11.0))     # |V| < ln 11  ⇔  0 < σ(V)(ζ − γ) + γ < 1
REPACK = 10                      # steps between drops of the weights whose h is clipped


@dataclass(frozen=True)
class SolverParams:
    """Adam steps, regulariser weight λ, β schedule (start, end) and warm-up fraction,
    learning rate, mini-batch positions, damping, and the seed of the batches."""

    iters: int = 500
    reg: float = 0.01
    beta: tuple[float, float] = (20.0, 2.0)
    warmup: float = 0.2
    lr: float = 1e-2
    batch: int = 512
    damp: float = 0.01
    seed: int = 0


def soft_rounding(v: np.ndarray) -> np.ndarray:
    """The rectified sigmoid ``h(V)``."""
    return np.clip((ZETA - GAMMA) / (1.0 + np.exp(-v)) + GAMMA, 0.0, 1.0)


def initial_v(frac: np.ndarray) -> np.ndarray:
    """``V`` with ``h(V) = frac`` (the float weight's own fractional position)."""
    p = (np.clip(frac, 0.0, 1.0) - GAMMA) / (ZETA - GAMMA)
    return np.log(p / (1.0 - p))


def beta_at(step: int, p: SolverParams) -> float | None:
    """β of the regulariser at ``step`` (None during the warm-up)."""
    start = p.warmup * p.iters
    if step < start:
        return None
    rel = (step - start) / max(p.iters - start, 1.0)
    return p.beta[1] + (p.beta[0] - p.beta[1]) * max(0.0, 1.0 - rel)


class _Reconstruction:
    """Gradient of the damped reconstruction term with respect to ``W̃``."""

    def __init__(self, w: np.ndarray, x: np.ndarray, t: np.ndarray, p: SolverParams) -> None:
        k, n = w.shape[2], x.shape[2]
        xf, tf = x.astype(np.float32, copy=False), t.astype(np.float32, copy=False)
        self.damp = (p.damp * np.mean(np.square(xf), axis=(1, 2))).astype(np.float32)
        self.w = w.astype(np.float32)
        self.batch = min(p.batch, n)
        self.gram = k <= 2 * self.batch
        self.rng = np.random.default_rng(p.seed)
        if self.gram:
            self.h = np.matmul(xf, xf.transpose(0, 2, 1)) / n            # (G, K, K)
            self.h += self.damp[:, None, None] * np.eye(k, dtype=np.float32)
            self.b = np.matmul(tf, xf.transpose(0, 2, 1)) / n            # (G, M, K)
            self.b += self.damp[:, None, None] * self.w
        else:                         # shuffled once: a batch is a random window, a view
            order = self.rng.permutation(n)
            self.x, self.t = xf[:, :, order], tf[:, :, order]

    def grad(self, wt: np.ndarray) -> np.ndarray:
        if self.gram:
            out = np.matmul(wt, self.h)
            out -= self.b
            out *= np.float32(2.0)
            return out
        at = int(self.rng.integers(0, self.x.shape[2] - self.batch + 1))
        xb, tb = self.x[:, :, at:at + self.batch], self.t[:, :, at:at + self.batch]
        r = np.matmul(wt, xb)
        r -= tb
        out = np.matmul(r, xb.transpose(0, 2, 1))
        out *= np.float32(2.0 / self.batch)
        out += (2.0 * self.damp)[:, None, None] * (wt - self.w)
        return out


class _Adam:
    """Adam (β₁ = 0.9, β₂ = 0.999) on a flat parameter vector, moments kept scaled
    (``m/(1 − β₁)``, ``v/(1 − β₂)``) to save two multiplies per step."""

    def __init__(self, n: int, lr: float) -> None:
        self.m = np.zeros(n, np.float32)
        self.v = np.zeros(n, np.float32)
        self.lr, self.t = lr, 0

    def step(self, param: np.ndarray, g: np.ndarray, tmp: np.ndarray) -> None:
        b1, b2, self.t = 0.9, 0.999, self.t + 1
        self.m *= b1
        self.m += g
        self.v *= b2
        self.v += np.multiply(g, g, out=tmp)
        c2 = np.sqrt((1 - b2) / (1 - b2 ** self.t))
        lr_t = self.lr * (1 - b1) / (1 - b1 ** self.t) / c2
        np.sqrt(self.v, out=tmp)
        tmp += np.float32(1e-8 / c2)
        np.divide(self.m, tmp, out=tmp)
        tmp *= np.float32(lr_t)
        param -= tmp

    def take(self, idx: np.ndarray) -> None:
        self.m, self.v = self.m[idx], self.v[idx]


class _Rounding:
    """The soft-rounding variables of one layer.  Only the *active* weights
    (``|V| < ln 11``, where ``h`` is not clipped) are stepped: a clipped ``h`` has zero
    gradient, so Adam's momentum carries its ``V`` further out and it never returns
    (exactly the same trajectory as stepping all of them, at a fraction of the cost
    once the regulariser has pushed most ``h`` to 0 or 1)."""

    def __init__(self, ratio: np.ndarray, qmax: int, s: np.ndarray, lr: float) -> None:
        base = np.floor(ratio)
        self.lo, self.hi = np.clip(base, -qmax, qmax), np.clip(base + 1, -qmax, qmax)
        self.shape = ratio.shape
        self.a = (s * self.lo).astype(np.float32).ravel()            # W̃ = a + span·h
        self.span = (s * (self.hi - self.lo)).astype(np.float32).ravel()
        self.v = initial_v(ratio - base).astype(np.float32).ravel()
        self.idx = np.arange(self.v.size)
        self.va, self.aa, self.sa = self.v, self.a, self.span
        self.opt = _Adam(self.v.size, lr)
        self.wt = self.a + self.span * _soft(self.v)[1]

    def repack(self) -> None:
        """Drop the weights whose ``h`` is now clipped, after one last write of their
        ``W̃`` (with ``_soft``, exactly as a step would compute it)."""
        keep = np.abs(self.va) < V_EDGE
        if keep.all():
            return
        gone = self.idx[~keep]
        self.v[gone] = self.va[~keep]
        self.wt[gone] = self.a[gone] + self.span[gone] * _soft(self.va[~keep])[1]
        self.idx = self.idx[keep]
        self.va, self.aa, self.sa = self.va[keep], self.a[self.idx], self.span[self.idx]
        self.opt.take(keep)

    def codes(self) -> np.ndarray:
        self.v[self.idx] = self.va
        on = (self.v >= 0).reshape(self.shape)
        return (self.lo + on * (self.hi - self.lo)).astype(np.int64)


def _soft(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(``σ(V)(1 − σ(V))`` where ``h`` is not clipped, else 0;  ``h(V)``) in float32."""
    sig = np.exp(-v)
    sig += 1.0
    np.divide(1.0, sig, out=sig)                      # σ(V)
    dh = np.multiply(sig, 1.0 - sig)
    dh *= np.abs(v) < V_EDGE
    h = sig
    h *= np.float32(ZETA - GAMMA)
    h += np.float32(GAMMA)
    np.clip(h, 0.0, 1.0, out=h)
    return dh, h


def solve_rounding(w: np.ndarray, s: np.ndarray, qmax: int, x: np.ndarray, t: np.ndarray,
                   p: SolverParams) -> np.ndarray:
    """Integer codes (G, M, K) in ``[−qmax, qmax]``, each ``floor(w/s)`` or one above."""
    r = _Rounding(np.asarray(w, np.float64) / np.asarray(s, np.float64), qmax, s, p.lr)
    rec = _Reconstruction(w, x, t, p)
    for step in range(p.iters):
        if step % REPACK == 0 and step >= p.warmup * p.iters:
            r.repack()
        if r.va.size == 0:
            break
        _step(r, rec, beta_at(step, p), p.reg)
    return r.codes()


def _step(r: _Rounding, rec: _Reconstruction, beta: float | None, reg: float) -> None:
    dh, h = _soft(r.va)
    wt_a = r.aa + r.sa * h
    r.wt[r.idx] = wt_a
    g = rec.grad(r.wt.reshape(r.shape)).ravel()[r.idx]
    g *= r.sa                                         # ∂/∂h
    if beta is not None:
        g += _reg_grad(h, beta, reg)
    g *= dh
    g *= np.float32(ZETA - GAMMA)                     # dh/dV = (ζ − γ)·σ(1 − σ)
    r.opt.step(r.va, g, wt_a)


def _reg_grad(h: np.ndarray, beta: float, reg: float) -> np.ndarray:
    """∂/∂h of ``reg · (1 − |2h − 1|^β)``: ``−2·reg·β·u·|u|^(β−2)``, ``u = 2h − 1``."""
    u = 2.0 * h - 1.0
    if beta > 2.0:
        u *= np.power(np.abs(u), np.float32(beta - 2.0))
    u *= np.float32(-2.0 * reg * beta)
    return u


def recon_error(codes: np.ndarray, s: np.ndarray, x: np.ndarray, t: np.ndarray) -> float:
    """Mean squared output error ``‖T − s·q X‖² / (P·G·M)`` of integer ``codes``."""
    wq = (np.asarray(codes, np.float64) * s).astype(np.float32)
    r = np.matmul(wq, x.astype(np.float32, copy=False))
    r -= t
    return float(np.mean(np.square(r), dtype=np.float64))


__all__ = ["SolverParams", "beta_at", "initial_v", "recon_error", "soft_rounding",
           "solve_rounding"]
