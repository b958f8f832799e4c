"""Layer 4: model importers.  The only place onnx and torch are imported."""
