"""Layer 7: reports — model summary, per-layer accuracy, performance, placement."""
