"""FFHQ alignment: the oriented square the network was trained on, and its exact inverse.

The recipe (Karras et al., FFHQ): eye centres are the means of landmarks 36-41
and 42-47, the mouth corners are 48 and 54. The square's half-side is
max(2 x eye distance, 1.8 x eye-to-mouth distance), its centre sits 0.1 of the
eye-to-mouth vector below the eye midpoint, and its sides follow the eye line
(tilted by the eye-to-mouth direction). The map from crop to photo is therefore
a similarity, stored as a 2x3 matrix; the crop is sampled from it with
reflection padding where the square leaves the photo.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError
from ..files import atomic_write
from .faces import DetectedFace, choose_face, detect_faces

FFHQ_SIZE = 1024
CROP_SIZES = (64, 4096)  # below, no face survives; above, memory for nothing the models can use
SIDECAR_VERSION = 1


@dataclass(frozen=True)
class AlignmentTransform:
    """crop_to_photo [2, 3]: photo (x, y) = M @ (crop x, crop y, 1), pixel centres at integers."""

    crop_to_photo: np.ndarray
    size: int
    photo_size: tuple[int, int]  # (width, height) of the photo the crop came from

    @classmethod
    def identity(cls, size: int, photo_size: tuple[int, int]) -> "AlignmentTransform":
        """A square photo used as the crop itself, resized to ``size``."""
        sx, sy = photo_size[0] / size, photo_size[1] / size
        matrix = np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5]], dtype=np.float64)
        return cls(matrix, size, photo_size)

    @property
    def scale(self) -> float:
        """Photo pixels per crop pixel."""
        return float(np.sqrt(abs(np.linalg.det(self.crop_to_photo[:, :2]))))

    def photo_to_crop(self) -> np.ndarray:
        return cv2.invertAffineTransform(self.crop_to_photo)

    def to_photo(self, points: np.ndarray) -> np.ndarray:
        return points @ self.crop_to_photo[:, :2].T + self.crop_to_photo[:, 2]

    def to_crop(self, points: np.ndarray) -> np.ndarray:
        inverse = self.photo_to_crop()
        return points @ inverse[:, :2].T + inverse[:, 2]

    def to_dict(self) -> dict:
        return {
            "crop_to_photo": self.crop_to_photo.tolist(),
            "size": self.size,
            "photo_size": list(self.photo_size),
        }

    @classmethod
    def from_dict(cls, values: dict) -> "AlignmentTransform":
        """The transform ``to_dict`` wrote; a ValueError says what a damaged record lacks."""
        if not isinstance(values, dict) or not {"crop_to_photo", "size", "photo_size"} <= values.keys():
            raise ValueError("the alignment record needs crop_to_photo, size and photo_size")
        matrix = np.asarray(values["crop_to_photo"], dtype=np.float64)
        if matrix.shape != (2, 3) or not np.isfinite(matrix).all():
            raise ValueError("crop_to_photo must be a finite 2x3 matrix")
        size, photo_size = values["size"], values["photo_size"]
        whole = (int, np.integer)
        if not isinstance(size, whole) or not (
            isinstance(photo_size, list | tuple)
            and len(photo_size) == 2
            and all(isinstance(v, whole) for v in photo_size)
        ):
            raise ValueError(
                f"size must be a whole number and photo_size two, got {size!r} and {photo_size!r}"
            )
        return cls(matrix, int(size), (int(photo_size[0]), int(photo_size[1])))


@dataclass
class AlignedFace:
    image: np.ndarray  # uint8 [S, S, 3]
    transform: AlignmentTransform
    landmarks: np.ndarray | None  # [68, 2] in crop pixels; None for a crop taken as is
    face_index: int = 0
    faces_found: int = 1


def ffhq_square(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(centre, x half-axis, y half-axis) of the FFHQ square in photo pixels."""
    eye_left, eye_right = landmarks[36:42].mean(0), landmarks[42:48].mean(0)
    eye_mid, eye_to_eye = (eye_left + eye_right) / 2, eye_right - eye_left
    mouth_mid = (landmarks[48] + landmarks[54]) / 2
    eye_to_mouth = mouth_mid - eye_mid
    x_axis = eye_to_eye - np.flipud(eye_to_mouth) * [-1, 1]
    x_axis /= np.hypot(*x_axis)
    x_axis *= max(np.hypot(*eye_to_eye) * 2.0, np.hypot(*eye_to_mouth) * 1.8)
    y_axis = np.flipud(x_axis) * [-1, 1]
    return eye_mid + eye_to_mouth * 0.1, x_axis, y_axis


def transform_for_face(landmarks: np.ndarray, photo_size: tuple[int, int], size: int = FFHQ_SIZE):
    return transform_for_square(ffhq_square(landmarks), photo_size, size)


def transform_for_square(square, photo_size: tuple[int, int], size: int = FFHQ_SIZE) -> AlignmentTransform:
    """The crop transform of an FFHQ square (centre, x half-axis, y half-axis; e.g. smoothed in time)."""
    centre, x_axis, y_axis = square
    step_x, step_y = 2 * x_axis / size, 2 * y_axis / size  # photo offset of one crop pixel
    origin = centre - x_axis - y_axis + 0.5 * (step_x + step_y)  # centre of crop pixel (0, 0)
    matrix = np.column_stack([step_x, step_y, origin]).astype(np.float64)
    return AlignmentTransform(matrix, size, photo_size)


def warp_to_crop(rgb: np.ndarray, transform: AlignmentTransform) -> np.ndarray:
    """Sample the crop; area-average first when the face is larger than the crop (no aliasing)."""
    matrix, source = transform.crop_to_photo.copy(), rgb
    shrink = transform.scale
    if shrink > 1.25:
        corners = transform.to_photo(np.array([[0, 0], [0, 1], [1, 0], [1, 1]]) * (transform.size - 1))
        margin = 4 * shrink
        height, width = rgb.shape[:2]
        x0, y0 = (max(0, int(np.floor(v - margin))) for v in corners.min(0))
        x1 = min(width, int(np.ceil(corners[:, 0].max() + margin)) + 1)
        y1 = min(height, int(np.ceil(corners[:, 1].max() + margin)) + 1)
        if x1 - x0 >= 2 and y1 - y0 >= 2 and (x0, y0, x1, y1) != (0, 0, width, height):
            source, matrix[:, 2] = rgb[y0:y1, x0:x1], matrix[:, 2] - (x0, y0)
        elif x1 - x0 < 2 or y1 - y0 < 2:
            source = rgb
        new_w = max(2, int(round(source.shape[1] / shrink)))
        new_h = max(2, int(round(source.shape[0] / shrink)))
        fx, fy = source.shape[1] / new_w, source.shape[0] / new_h
        source = cv2.resize(source, (new_w, new_h), interpolation=cv2.INTER_AREA)
        matrix[0] = (matrix[0] + [0, 0, 0.5]) / fx - [0, 0, 0.5]
        matrix[1] = (matrix[1] + [0, 0, 0.5]) / fy - [0, 0, 0.5]
    flags = cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(
        source, matrix, (transform.size, transform.size), flags=flags, borderMode=cv2.BORDER_REFLECT_101
    )


def check_crop_size(size: int) -> None:
    low, high = CROP_SIZES
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or not low <= size <= high:
        raise InputError(f"the crop size must be a whole number of pixels from {low} to {high}, got {size!r}")


def align_photo(
    rgb: np.ndarray,
    face_index: int = 0,
    size: int = FFHQ_SIZE,
    name: str = "the photo",
    faces: list[DetectedFace] | None = None,
) -> AlignedFace:
    """Find the faces (largest first), pick one, and cut its FFHQ-aligned square crop."""
    check_crop_size(size)
    faces = detect_faces(rgb) if faces is None else faces
    face = choose_face(faces, face_index, rgb.shape, name)
    transform = transform_for_face(face.landmarks, (rgb.shape[1], rgb.shape[0]), size)
    crop = warp_to_crop(rgb, transform)
    return AlignedFace(crop, transform, transform.to_crop(face.landmarks), face_index, len(faces))


def aligned_as_is(rgb: np.ndarray, size: int = FFHQ_SIZE, name: str = "the image") -> AlignedFace:
    """Take an already aligned square face as the crop (identity transform, resized to ``size``)."""
    check_crop_size(size)
    height, width = rgb.shape[:2]
    if height != width:
        raise InputError(
            f"{name} is {width}x{height}; an aligned face must be square. Open it as a photo"
            " instead, so the face is found and aligned."
        )
    transform = AlignmentTransform.identity(size, (width, height))
    interpolation = cv2.INTER_AREA if width > size else cv2.INTER_CUBIC
    crop = rgb if width == size else cv2.resize(rgb, (size, size), interpolation=interpolation)
    return AlignedFace(np.ascontiguousarray(crop), transform, None)


# -- sidecar: the transform next to a saved crop ---------------------------------------------
def sidecar_path(crop_path: str | os.PathLike) -> Path:
    return Path(crop_path).with_suffix(".align.json")


def save_sidecar(
    aligned: AlignedFace,
    crop_path: str | os.PathLike,
    photo_path: str = "",
    to: str | os.PathLike | None = None,
) -> Path:
    """Write the alignment beside ``crop_path`` (or to ``to``, e.g. a temporary being written)."""
    payload = {
        "format": "e4s-studio-alignment",
        "version": SIDECAR_VERSION,
        "photo": str(photo_path),
        "face_index": aligned.face_index,
        "faces_found": aligned.faces_found,
        **aligned.transform.to_dict(),
        "landmarks": None if aligned.landmarks is None else aligned.landmarks.tolist(),
    }
    text = json.dumps(payload, indent=1)
    target = Path(to) if to is not None else sidecar_path(crop_path)
    return atomic_write(target, lambda temp: Path(temp).write_text(text, encoding="utf-8"))


def load_sidecar(path: str | os.PathLike) -> tuple[AlignmentTransform, dict]:
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(payload, dict) or payload.get("format") != "e4s-studio-alignment":
            raise ValueError("not an E4S Studio alignment file")
        return AlignmentTransform.from_dict(payload), payload
    except FileNotFoundError as error:
        raise InputError(
            f"No alignment file {path.name} next to the crop — align the photo with"
            " 'e4s-studio align' first; it writes one."
        ) from error
    except IsADirectoryError as error:
        raise InputError(f"{path} is a folder, not an alignment file.") from error
    except (ValueError, KeyError, TypeError, OSError) as error:
        raise InputError(f"{path.name} is not a valid alignment file: {error}") from error
