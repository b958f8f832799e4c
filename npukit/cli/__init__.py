"""Layer 9: the command line.  Prints errors, not tracebacks."""
