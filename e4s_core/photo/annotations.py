"""Hand annotations of a photo's regions as polygons, and how well a parse agrees with them.

An annotation file is JSON: ``size`` [width, height] of the photo, ``paint_order`` (region code
names; later regions are painted over earlier ones, as CelebAMask-HQ merges its part masks) and
``regions``: name -> list of polygons, each a list of [x, y] photo pixel coordinates (pixel
centres at integers, sub-pixel allowed). Unpainted pixels are background.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError
from ..regions import NUM_REGIONS, REGIONS, region_id
from .align import AlignmentTransform

_SHIFT = 4  # fillPoly's fractional bits: vertices at 1/16 px


def read_annotation(path: str | os.PathLike) -> np.ndarray:
    """uint8 [H, W] E4S labels of the photo, painted from the annotation file's polygons."""
    try:
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
        width, height = (int(v) for v in spec["size"])
        labels = np.zeros((height, width), np.uint8)
        for name in spec["paint_order"]:
            polygons = [
                np.round(np.asarray(p, np.float64) * 2**_SHIFT).astype(np.int32)
                for p in spec["regions"][name]
            ]
            cv2.fillPoly(labels, polygons, region_id(name), lineType=cv2.LINE_8, shift=_SHIFT)
    except (OSError, KeyError, ValueError, TypeError) as error:
        raise InputError(f"{os.fspath(path)} is not a readable region annotation: {error}") from error
    return labels


def annotation_in_crop(labels: np.ndarray, transform: AlignmentTransform, size: int) -> np.ndarray:
    """The photo's annotation as a ``size`` x ``size`` label map of its aligned crop."""
    to_crop = transform.photo_to_crop() * (size / transform.size)  # [2, 3] scaled to ``size``
    return cv2.warpAffine(labels, to_crop, (size, size), flags=cv2.INTER_NEAREST, borderValue=0)


def region_iou(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Intersection over union per region present in either map (same shape), by code name."""
    if predicted.shape != truth.shape:
        raise InputError(f"label maps differ in size: {predicted.shape} and {truth.shape}")
    scores = {}
    for r in range(NUM_REGIONS):
        mine, theirs = predicted == r, truth == r
        union = np.count_nonzero(mine | theirs)
        if union:
            scores[REGIONS[r].name] = np.count_nonzero(mine & theirs) / union
    return scores
