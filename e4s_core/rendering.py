"""Rendering a face state: numpy label map + region vectors in, uint8 image out.

The studio's render thread and the headless ``render-project`` both call ``render_face``, so
the same state gives the same pixels wherever it is rendered (one intra-op thread count for
every render, from ``runtime``).
"""

import hashlib

import numpy as np
import torch

from .imageio import labels_to_tensor, tensor_to_image
from .model import E4SModel
from .network.regional import RegionLayout
from .runtime import background_threads, intra_op_threads


class LayoutCache:
    """The label geometry of the last mask rendered, so texture-only edits skip rebuilding it.

    Building a layout (resized labels, border sites of every layer) costs tens of
    milliseconds; while the user drags the mix slider the mask does not change.
    """

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._layout: RegionLayout | None = None

    def get(self, model: E4SModel, labels: np.ndarray) -> RegionLayout:
        key = (model.identity, labels.shape, hashlib.blake2b(labels.tobytes(), digest_size=16).digest())
        if key != self._key:
            self._layout = model.layout(labels_to_tensor(labels))
            self._key = key
        return self._layout


def render_face(
    model: E4SModel,
    labels: np.ndarray,
    vectors: np.ndarray,
    size: int | None = None,
    layouts: LayoutCache | None = None,
) -> np.ndarray:
    """uint8 [S, S, 3] image of labels uint8 [h, w] and vectors float32 [R, V]; ``size`` = a stage."""
    with torch.inference_mode(), intra_op_threads(background_threads(model)):
        codes = model.style_codes(torch.from_numpy(vectors)[None])  # [1, R, L, D]
        layout = layouts.get(model, labels) if layouts is not None else model.layout(labels_to_tensor(labels))
        image = model.render(codes, layout, size=size)  # [1, 3, S, S]
    return tensor_to_image(image)
