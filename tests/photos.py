"""Real face photos that ship inside installed packages (public domain), for the photo tests."""

from functools import cache

import numpy as np
from PIL import Image


@cache
def astronaut() -> np.ndarray:
    """Eileen Collins, NASA (public domain): 512x512, one face about 90 px wide."""
    from skimage import data

    return data.astronaut()


@cache
def grace_hopper() -> np.ndarray:
    """Grace Hopper, US Navy (public domain): 512x600, one face about 190 px wide."""
    from matplotlib import cbook

    with Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as image:
        return np.asarray(image.convert("RGB")).copy()
