"""Default CSC matrices (Q8, as ATC writes them) for BT.601 / BT.709, full and narrow range.

Matrices act on the *canonical* channel order of the decoded frame: (Y, U, V)
for YUV formats, (R, G, B) for RGB formats (BGR / XRGB / planar inputs are
reordered when decoded, docs/aipp.md §3).  Rows are the output channels in the
model's order, so a BGR model gets the RGB rows reversed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from npukit.preprocess.config import Csc

YUV2RGB = {  # rows R, G, B; input bias (Y, U, V)
    "bt601_narrow": ((298, 0, 409), (298, -100, -208), (298, 516, 0)),
    "bt601_full": ((256, 0, 359), (256, -88, -183), (256, 454, 0)),
    "bt709_narrow": ((298, 0, 459), (298, -55, -136), (298, 541, 0)),
    "bt709_full": ((256, 0, 403), (256, -48, -120), (256, 475, 0)),
}
RGB2YUV = {  # rows Y, U, V; output bias (Y, U, V)
    "bt601_narrow": ((66, 129, 25), (-38, -74, 112), (112, -94, -18)),
    "bt601_full": ((77, 150, 29), (-43, -85, 128), (128, -107, -21)),
    "bt709_narrow": ((47, 157, 16), (-26, -87, 112), (112, -102, -10)),
    "bt709_full": ((54, 183, 18), (-29, -99, 128), (128, -116, -12)),
}
IDENTITY = ((256, 0, 0), (0, 256, 0), (0, 0, 256))
SWAP_RB = ((0, 0, 256), (0, 256, 0), (256, 0, 0))


def is_yuv(input_format: str) -> bool:
    return input_format.startswith("YUV")


def csc_default(input_format: str, model_format: str, standard: str) -> Csc:
    """The CSC a ``csc_switch : true`` block gets for the fields it leaves out."""
    from npukit.preprocess.config import Csc

    narrow = standard.endswith("narrow")
    chroma = (16 if narrow else 0, 128, 128)
    if is_yuv(input_format):
        if model_format in ("RGB", "BGR"):
            m = YUV2RGB[standard]
            return Csc(m if model_format == "RGB" else m[::-1], chroma, (0, 0, 0))
        return Csc(IDENTITY, (0, 0, 0), (0, 0, 0))
    if model_format in ("YUV444", "GRAY"):
        return Csc(RGB2YUV[standard], (0, 0, 0), chroma)
    return Csc(SWAP_RB if model_format == "BGR" else IDENTITY, (0, 0, 0), (0, 0, 0))
