"""ONNX import: file → normalised opset → shape inference → npukit IR."""

from npukit.frontends.onnx.importer import CANONICAL_OPSET, import_model, load_onnx

__all__ = ["CANONICAL_OPSET", "import_model", "load_onnx"]

from npukit.frontends.onnx.exporter import export_model  # noqa: E402

__all__ += ["export_model"]
from npukit.frontends.onnx.ort_reference import OrtReference  # noqa: E402

__all__ += ["OrtReference"]
