"""Face detection and 68-point landmarks, offline, with dlib's HOG detector and shape predictor.

The model files come from the ``face-recognition-models`` package and are found
without importing it (its ``__init__`` needs the retired ``pkg_resources``). The
68-point model was trained on iBUG 300-W, whose licence excludes commercial use.
"""

import importlib.util
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import E4SError, FaceCutOffError, FaceTooSmallError, NoFaceError
from .io import downscaled

DETECTION_MAX_SIDE = 1024  # big photos are searched at this size first, landmarks at full size
DETECTION_THRESHOLD = 0.3  # dlib score; lower finds more faces and more false ones
MIN_FACE_WIDTH = 40  # photo pixels: below this the 1024 crop would be a blur
CUT_OFF_TOLERANCE = 0.03  # landmarks may lie this far (in face widths) outside the photo
# Where the first search finds nothing, the photo is searched again at finer scales, down to full
# resolution (MIN_FACE_WIDTH); past this many pixels the finest search is scaled down to it, so it
# stays within seconds (and the smallest face found grows with the photo).
SMALL_FACE_SEARCH_MAX_PIXELS = 50_000_000
TILE_SIDE = 1536  # searched pixels per tile side, at most
SAME_FACE_OVERLAP = 0.3  # boxes from two tiles overlapping this much (IoU) are one face

_lock = threading.Lock()
_models: dict[str, object] = {}
_per_thread = threading.local()  # dlib's detector keeps scratch state: one per thread


@dataclass(frozen=True)
class DetectedFace:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in photo pixels
    score: float
    landmarks: np.ndarray  # [68, 2] (x, y) in photo pixels, iBUG-68 order

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]


def _model_file(name: str) -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise E4SError("The face landmark model is not installed: pip install face-recognition-models")
    return Path(next(iter(spec.submodule_search_locations))) / "models" / name


def _dlib():
    try:
        import dlib
    except ImportError as error:
        raise E4SError("dlib is not installed: pip install dlib-bin") from error
    return dlib


def _predictor():
    with _lock:
        if not _models:
            dlib = _dlib()
            _models["predictor"] = dlib.shape_predictor(
                str(_model_file("shape_predictor_68_face_landmarks.dat"))
            )
            _models["rectangle"] = dlib.rectangle
        return _models["predictor"], _models["rectangle"]


def _detector():
    if not hasattr(_per_thread, "detector"):
        _per_thread.detector = _dlib().get_frontal_face_detector()
    return _per_thread.detector


Box = tuple[float, float, float, float, float]  # x0, y0, x1, y1 in photo pixels, score


def detect_faces(rgb: np.ndarray) -> list[DetectedFace]:
    """Every face in a uint8 [H, W, 3] photo, largest first.

    Faces are searched on a 1024 px copy; where that finds none in a larger photo, again at
    twice the resolution (in tiles on every core) until one is found or the photo is searched at
    full resolution: a face down to ``MIN_FACE_WIDTH`` is found in a photo of up to
    ``SMALL_FACE_SEARCH_MAX_PIXELS`` (12 MP, two cores: about 2 s for a 75 px face, 6 s for 40 px
    or for none; ``benchmarks/face_search.py``).
    """
    predictor, rectangle = _predictor()
    side = max(rgb.shape[:2])
    scale = min(1.0, DETECTION_MAX_SIDE / side)
    boxes = _search(rgb, scale)
    finest = min(1.0, (SMALL_FACE_SEARCH_MAX_PIXELS / (rgb.shape[0] * rgb.shape[1])) ** 0.5)
    while not boxes and scale < finest:
        # A face the coarser search missed is at most a few times its smallest: tiles overlap by that.
        overlap = int(3 * MIN_FACE_WIDTH / scale)
        scale = min(2 * scale, finest)
        boxes = _search_in_tiles(rgb, scale, overlap)
    full = np.ascontiguousarray(rgb)
    faces = []
    for x0, y0, x1, y1, score in boxes:
        shape = predictor(full, rectangle(int(round(x0)), int(round(y0)), int(round(x1)), int(round(y1))))
        points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
        faces.append(DetectedFace((x0, y0, x1, y1), score, points))
    return sorted(faces, key=lambda face: face.width, reverse=True)


def _search(rgb: np.ndarray, scale: float, offset: tuple[int, int] = (0, 0)) -> list[Box]:
    """Faces in ``rgb`` searched at ``scale`` (at most 1), as boxes in photo pixels."""
    small, scale = downscaled(rgb, int(round(max(rgb.shape[:2]) * min(scale, 1.0))))
    boxes, scores, _ = _detector().run(np.ascontiguousarray(small), 1, DETECTION_THRESHOLD)
    dx, dy = offset
    return [
        (b.left() / scale + dx, b.top() / scale + dy, b.right() / scale + dx, b.bottom() / scale + dy, score)
        for b, score in zip(boxes, map(float, scores), strict=True)
    ]


def _search_in_tiles(rgb: np.ndarray, scale: float, overlap: int) -> list[Box]:
    """The search at ``scale``, in overlapping tiles on every core (dlib frees the GIL)."""
    height, width = rgb.shape[:2]
    cores = os.cpu_count() or 1
    across, down = (max(1, math.ceil(side * scale / TILE_SIDE)) for side in (width, height))
    while across * down < cores:  # equal tiles, at least one per core
        across, down = (across + 1, down) if width / across >= height / down else (across, down + 1)
    step_x, step_y = math.ceil(width / across), math.ceil(height / down)
    tiles = [
        (x, y, rgb[y : y + step_y + overlap, x : x + step_x + overlap])
        for y in range(0, height, step_y)
        for x in range(0, width, step_x)
    ]
    workers = min(len(tiles), cores)
    with ThreadPoolExecutor(workers, thread_name_prefix="face-search") as pool:
        found = pool.map(lambda tile: _search(tile[2], scale, (tile[0], tile[1])), tiles)
        boxes = [box for tile_boxes in found for box in tile_boxes]
    return _one_box_per_face(boxes)


def _one_box_per_face(boxes: list[Box]) -> list[Box]:
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: b[4], reverse=True):
        if all(_overlap(box, other) < SAME_FACE_OVERLAP for other in kept):
            kept.append(box)
    return kept


def _overlap(a: Box, b: Box) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    shared = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - shared
    return shared / union if union > 0 else 0.0


def choose_face(faces: list[DetectedFace], index: int, photo_shape, name: str = "the photo") -> DetectedFace:
    """The face to edit, checked for size and for being inside the photo."""
    if not faces:
        raise NoFaceError(
            f"No face found in {name} — open a photo with one clearly visible, roughly frontal"
            " face, or an already aligned square face crop."
        )
    if not 0 <= index < len(faces):
        raise NoFaceError(f"{name} has {len(faces)} face(s); face {index + 1} does not exist.")
    face = faces[index]
    if face.width < MIN_FACE_WIDTH:
        raise FaceTooSmallError(
            f"The face in {name} is only {face.width:.0f} px wide; at least {MIN_FACE_WIDTH} px are"
            " needed. Use a larger photo or one taken closer to the face."
        )
    height, width = photo_shape[:2]
    slack = CUT_OFF_TOLERANCE * face.width
    points = face.landmarks
    outside = (points[:, 0] < -slack) | (points[:, 0] > width - 1 + slack)
    outside |= (points[:, 1] < -slack) | (points[:, 1] > height - 1 + slack)
    if outside.any():
        raise FaceCutOffError(
            f"The face in {name} is cut off by the photo's border ({int(outside.sum())} of 68"
            " landmarks are outside). Use a photo that shows the whole face."
        )
    return face
