"""A schematic face label map drawn from ellipses, for tests, benchmarks and the self-test.

Shapes are given on a 512 px canvas (later shapes overwrite earlier ones) and
scaled to the requested size; ``seed`` jitters every shape so tests can draw
many different layouts. Not a face model: just a plausible region partition.
"""

import numpy as np

from .regions import region_id

# (region, cy, cx, ry, rx) on a 512 canvas; "neck" is a rectangle (y0, y1, x0, x1).
FACE_SHAPES = (
    ("hair", 190, 256, 165, 170),
    ("neck", 370, 512, 196, 316),
    ("ears", 280, 136, 36, 20),
    ("ears", 280, 376, 36, 20),
    ("ear_rings", 328, 120, 6, 6),
    ("skin", 275, 256, 150, 118),
    ("eyebrows", 212, 204, 9, 34),
    ("eyebrows", 212, 308, 9, 34),
    ("eyes", 246, 204, 12, 26),
    ("eyes", 246, 308, 12, 26),
    ("nose", 296, 256, 36, 17),
    ("lip", 352, 256, 19, 46),
    ("mouth", 352, 256, 5, 34),
)


def ellipse_face_labels(size: int = 512, seed: int | None = None) -> np.ndarray:
    """uint8 [size, size] map of the 12 E4S regions."""
    rng = np.random.default_rng(seed) if seed is not None else None
    scale = size / 512
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / scale
    labels = np.zeros((size, size), np.uint8)
    for name, a, b, c, d in FACE_SHAPES:
        if rng is not None:
            a, b = a + rng.normal(0, 6), b + rng.normal(0, 6)
            c, d = c * rng.uniform(0.8, 1.2), d * rng.uniform(0.8, 1.2)
        if name == "neck":
            inside = (a <= y) & (y < b) & (c <= x) & (x < d)
        else:
            inside = ((y - a) / c) ** 2 + ((x - b) / d) ** 2 <= 1
        labels[inside] = region_id(name)
    return labels
