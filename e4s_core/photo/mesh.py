"""MediaPipe's face mesh (468 points), run by LiteRT: the eyes' and the lips' outlines.

dlib's 68 points give each eye six corners and the inner lips eight, which cut through rounded
lids and through the teeth of a smile; the mesh traces both with 16 and 20 points. The model
(``resources/models/face_landmark.tflite``, Apache-2.0, licence beside it) takes a 192 px square
around the face; as in MediaPipe's own tracking, the square is found twice: from dlib's points
first, then from the mesh's own extent (1.5 times it), which makes the points steady.
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

INPUT_SIDE = 192
ROI_SCALE = 1.5  # the square's side, in the face's longer extent
FOREHEAD = 0.35  # dlib stops at the brows; the mesh reaches this share of the face's height higher
# Outlines as closed polygons of mesh indices (MediaPipe's published topology), image left first.
EYES = (
    (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246),
    (362, 382, 381, 380, 374, 373, 390, 249, 263, 466, 388, 387, 386, 385, 384, 398),
)
OUTER_LIPS = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185)
INNER_LIPS = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191)


class FaceMesh:
    """``mesh(rgb, landmarks)`` -> float [468, 2] x, y of the mesh points in ``rgb``'s pixels."""

    name = "MediaPipe face mesh"

    def __init__(self, path: str | Path = paths.FACE_MESH_FILE):
        self._model = LiteModel(path)  # output [1, 1, 1, 1404]: x, y, z of each point

    def __call__(self, rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """``landmarks``: dlib's 68 points [68, 2] in ``rgb``'s pixels, of an upright face."""
        (x0, y0), (x1, y1) = landmarks.min(0), landmarks.max(0)
        y0 -= FOREHEAD * (y1 - y0)
        points = self._run(rgb, (x0 + x1) / 2, (y0 + y1) / 2, ROI_SCALE * max(x1 - x0, y1 - y0))
        (x0, y0), (x1, y1) = points.min(0), points.max(0)
        return self._run(rgb, (x0 + x1) / 2, (y0 + y1) / 2, ROI_SCALE * max(x1 - x0, y1 - y0))

    def _run(self, rgb: np.ndarray, cx: float, cy: float, side: float) -> np.ndarray:
        scale, half = INPUT_SIDE / side, INPUT_SIDE / 2
        to_input = np.float32([[scale, 0, half - cx * scale], [0, scale, half - cy * scale]])
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        square = cv2.warpAffine(
            rgb, to_input, (INPUT_SIDE, INPUT_SIDE), flags=interpolation, borderMode=cv2.BORDER_REPLICATE
        )
        batch = (square.astype(np.float32) / 255)[None]  # [1, 192, 192, 3] in [0, 1]
        points = self._model(batch).reshape(-1, 3)[:, :2]  # [468, 2]
        return (points - to_input[:, 2]) / scale


@cache
def face_mesh() -> FaceMesh | None:
    """The shared mesh model, or None where LiteRT is not installed (dlib's outlines are used)."""
    if not litert_available():
        log.info("ai-edge-litert is not installed: eyes and inner lips follow dlib's points")
        return None
    return FaceMesh()
