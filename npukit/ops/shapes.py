"""Shape arithmetic shared by ops: broadcasting, window sizes, axis handling.

Dims are ints or symbolic names (str); ``"?"`` is an unknown dim.
"""

from __future__ import annotations

from typing import Sequence

from npukit.errors import ShapeError

UNKNOWN = "?"


def broadcast(*shapes: tuple | None) -> tuple | None:
    """NumPy/ONNX multidirectional broadcasting over possibly symbolic shapes."""
    if any(s is None for s in shapes):
        return None
    rank = max((len(s) for s in shapes), default=0)  # type: ignore[arg-type]
    out: list = []
    for k in range(rank):
        dims = [s[len(s) - rank + k] for s in shapes if len(s) - rank + k >= 0]  # type: ignore
        known = {d for d in dims if isinstance(d, int) and d != 1}
        if len(known) > 1:
            raise ShapeError(f"shapes {[list(s) for s in shapes]} do not broadcast")  # type: ignore
        if known:
            out.append(known.pop())
        elif all(d == 1 for d in dims):
            out.append(1)
        else:
            syms = [d for d in dims if d != 1]
            out.append(syms[0] if len(set(syms)) == 1 else UNKNOWN)
    return tuple(out)


def norm_axis(axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < max(rank, 1):
        raise ShapeError(f"{what} {axis} is out of range for rank {rank}")
    return axis % rank if rank else 0


def window_out(size: object, k: int, stride: int, dilation: int, pad_begin: int,
               pad_end: int, ceil: bool = False) -> object:
    """Output length of a sliding window; symbolic input gives UNKNOWN."""
    if not isinstance(size, int):
        return UNKNOWN
    eff = dilation * (k - 1) + 1
    num = size + pad_begin + pad_end - eff
    if ceil:
        out = -(-num // stride) + 1
        if (out - 1) * stride >= size + pad_begin:
            out -= 1  # ONNX/PyTorch: the last window must start inside input or left pad
        return out
    return num // stride + 1


def auto_pads(sizes: Sequence[object], kernel: Sequence[int], strides: Sequence[int],
              dilations: Sequence[int], auto_pad: str, pads: Sequence[int] | None) -> list[int]:
    """Explicit ONNX pads ``[b1..bn, e1..en]`` for any ``auto_pad`` mode."""
    n = len(kernel)
    if auto_pad in ("", "NOTSET"):
        return list(pads) if pads else [0] * (2 * n)
    if auto_pad == "VALID":
        return [0] * (2 * n)
    begins, ends = [0] * n, [0] * n
    for i in range(n):
        size = sizes[i]
        if not isinstance(size, int):
            raise ShapeError(f"auto_pad={auto_pad} needs a static spatial size")
        out = -(-size // strides[i])
        eff = dilations[i] * (kernel[i] - 1) + 1
        total = max(0, (out - 1) * strides[i] + eff - size)
        small = total // 2
        if auto_pad == "SAME_UPPER":
            begins[i], ends[i] = small, total - small
        else:
            begins[i], ends[i] = total - small, small
    return begins + ends


def static(shape: tuple | None) -> bool:
    return shape is not None and all(isinstance(d, int) for d in shape)


def numel(shape: tuple | None) -> int:
    if not static(shape):
        return 0
    n = 1
    for d in shape:  # type: ignore[union-attr]
        n *= int(d)
    return n
