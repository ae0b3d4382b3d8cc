"""How steady an edited video is: temporal flicker inside the edited region."""

from collections.abc import Sequence

import numpy as np


def temporal_flicker(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray]) -> float:
    """Grey levels of frame-to-frame change the edit adds inside the region it edited.

    The region: pixels that differ between some input frame and its output. The figure: the mean
    absolute difference of consecutive output frames there, minus the same for the input frames
    (the video's own motion); 0 means the edit moves exactly as the video does. NaN when nothing
    was edited.
    """
    if len(inputs) != len(outputs) or len(inputs) < 2:
        raise ValueError(f"need two or more frames in and out, got {len(inputs)} and {len(outputs)}")
    region = np.zeros(inputs[0].shape[:2], bool)
    for before, after in zip(inputs, outputs, strict=True):
        region |= (before != after).any(axis=2)
    if not region.any():
        return float("nan")

    def motion(frames: Sequence[np.ndarray]) -> float:
        steps = zip(frames[:-1], frames[1:], strict=True)
        return float(np.mean([np.abs(b.astype(np.float64) - a)[region].mean() for a, b in steps]))

    return motion(outputs) - motion(inputs)
