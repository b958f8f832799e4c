"""npukit: deploy trained neural networks to edge NPUs, in the open."""

__version__ = "0.1.0"
