"""Face detection and 68-point landmarks, offline, with dlib's HOG detector and shape predictor.

The model files come from the ``face-recognition-models`` package and are found
without importing it (its ``__init__`` needs the retired ``pkg_resources``). The
68-point model was trained on iBUG 300-W, whose licence excludes commercial use.
"""

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import E4SError, FaceCutOffError, FaceTooSmallError, NoFaceError
from .io import downscaled

DETECTION_MAX_SIDE = 1024  # big photos are searched at this size, landmarks at full size
DETECTION_THRESHOLD = 0.3  # dlib score; lower finds more faces and more false ones
MIN_FACE_WIDTH = 40  # photo pixels: below this the 1024 crop would be a blur
CUT_OFF_TOLERANCE = 0.03  # landmarks may lie this far (in face widths) outside the photo

_lock = threading.Lock()
_models: dict[str, object] = {}


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


def _dlib_models():
    with _lock:
        if not _models:
            try:
                import dlib
            except ImportError as error:
                raise E4SError("dlib is not installed: pip install dlib-bin") from error
            _models["detector"] = dlib.get_frontal_face_detector()
            _models["predictor"] = dlib.shape_predictor(
                str(_model_file("shape_predictor_68_face_landmarks.dat"))
            )
            _models["rectangle"] = dlib.rectangle
        return _models["detector"], _models["predictor"], _models["rectangle"]


def detect_faces(rgb: np.ndarray) -> list[DetectedFace]:
    """Every face in a uint8 [H, W, 3] photo, largest first."""
    detector, predictor, rectangle = _dlib_models()
    small, scale = downscaled(rgb, DETECTION_MAX_SIDE)
    boxes, scores, _ = detector.run(np.ascontiguousarray(small), 1, DETECTION_THRESHOLD)
    full = np.ascontiguousarray(rgb)
    faces = []
    for box, score in zip(boxes, scores, strict=True):
        x0, y0, x1, y1 = (v / scale for v in (box.left(), box.top(), box.right(), box.bottom()))
        rect = rectangle(int(round(x0)), int(round(y0)), int(round(x1)), int(round(y1)))
        shape = predictor(full, rect)
        points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
        faces.append(DetectedFace((x0, y0, x1, y1), float(score), points))
    return sorted(faces, key=lambda face: face.width, reverse=True)


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
