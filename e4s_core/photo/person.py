"""Person vs background: MediaPipe's selfie segmentation, run by LiteRT (``ai-edge-litert``).

The landmark parser needs to know where the person ends: long hair below the jaw, hair against a
busy background, the shoulders. The selfie segmentation model (shipped in ``resources/models``,
Apache-2.0) answers that in ~3 ms on a CPU and is far steadier than GrabCut, which the parser
keeps only for platforms where ``ai-edge-litert`` has no wheel (macOS on Intel, Linux on ARM).
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from .. import paths
from .litert import LiteModel, litert_available

log = logging.getLogger(__name__)

INPUT_SIDE = 256  # the model's input and output size


def segmentation_available() -> bool:
    """Is LiteRT installed (it has wheels for Linux x86-64, Windows and macOS on Apple silicon)?"""
    return litert_available()


class PersonSegmenter:
    """``segmenter(rgb)`` -> float32 [H, W] probability that a pixel belongs to the person."""

    name = "MediaPipe selfie segmentation"

    def __init__(self, path: str | Path = paths.PERSON_SEGMENTATION_FILE):
        self._model = LiteModel(path)

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        height, width = rgb.shape[:2]
        small = cv2.resize(rgb, (INPUT_SIDE, INPUT_SIDE), interpolation=cv2.INTER_AREA)
        batch = (small.astype(np.float32) / 255)[None]  # [1, 256, 256, 3] in [0, 1]
        probability = self._model(batch)[0, ..., 0]  # [256, 256]
        return cv2.resize(probability, (width, height), interpolation=cv2.INTER_LINEAR)


@cache
def person_segmenter() -> PersonSegmenter | None:
    """The shared segmenter, or None where LiteRT is not installed (the parser uses GrabCut)."""
    if not segmentation_available():
        log.info("ai-edge-litert is not installed: the parser separates the person with GrabCut")
        return None
    return PersonSegmenter()
