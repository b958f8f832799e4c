"""Layer 4: AIPP — preprocessing compiled into the model (docs/aipp.md).

``load_aipp`` reads an ATC ``insert_op_conf`` file or its TOML twin into a
validated ``AippConfig``; ``AippStage`` gives the raw input's spec, the model
input's shape, the float reference, the bit-exact integer path and the
manifest form.  NumPy only at run time.
"""

from npukit.preprocess.config import (
    FIELDS,
    INPUT_FORMATS,
    MODEL_FORMATS,
    AippConfig,
    AippError,
    Crop,
    Csc,
    Normalize,
    Padding,
    Resize,
    from_dict,
    to_dict,
)
from npukit.preprocess.dynamic import decode_params, encode_params
from npukit.preprocess.files import (
    load_aipp,
    load_aipp_all,
    parse_atc,
    parse_toml,
    read_image_rgb,
    to_atc,
    to_toml,
)
from npukit.preprocess.formats import decode, encode_rgb, frame_shape, read_raw
from npukit.preprocess.rules import RULES, output_hw, stage_order
from npukit.preprocess.stage import AippStage, InputSpec

__all__ = [
    "FIELDS", "INPUT_FORMATS", "MODEL_FORMATS", "RULES", "AippConfig", "AippError",
    "AippStage", "Crop", "Csc", "InputSpec", "Normalize", "Padding", "Resize", "decode",
    "decode_params", "encode_params", "load_aipp_all", "read_image_rgb",
    "encode_rgb", "frame_shape", "from_dict", "load_aipp", "output_hw", "parse_atc",
    "parse_toml", "read_raw", "stage_order", "to_atc", "to_dict", "to_toml",
]
