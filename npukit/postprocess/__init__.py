"""Layer 3: post-processing of model outputs on the board — NumPy only.

One module per concern: ``classification`` (softmax, top-k with labels), ``nms``
(class-aware and class-agnostic), ``yolo`` (anchor-based and anchor-free box
decoding), ``segmentation`` (arg-max, resizing to the image, mean IoU) and
``ctc`` (greedy decoding).
"""

from npukit.postprocess.classification import Prediction, load_labels, softmax, top_k
from npukit.postprocess.ctc import greedy_decode
from npukit.postprocess.nms import batched_nms, iou, nms
from npukit.postprocess.segmentation import mean_iou, resize_mask, segment
from npukit.postprocess.yolo import (
    Detections,
    decode_anchor_based,
    decode_anchor_free,
    detect,
)

__all__ = ["Detections", "Prediction", "batched_nms", "decode_anchor_based",
           "decode_anchor_free", "detect", "greedy_decode", "iou", "load_labels",
           "mean_iou", "nms", "resize_mask", "segment", "softmax", "top_k"]
