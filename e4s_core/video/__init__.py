"""Video: reading and writing (PyAV), face tracking with smoothed alignment, per-frame edits."""
