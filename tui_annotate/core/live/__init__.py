"""Live mode: follow production logs exactly once, keep a human sample, quarantine bad lines."""
