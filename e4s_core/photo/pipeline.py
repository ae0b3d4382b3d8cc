"""From a file to an aligned face and back: the steps the app and the CLI share."""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..regions import FACE_REGIONS
from .align import AlignedFace, AlignmentTransform, align_photo, aligned_as_is, transform_for_face
from .faces import DetectedFace, detect_faces
from .io import Photo, read_photo
from .paste import face_mask_from_labels, paste_back

ALIGNED_TOLERANCE = 0.15  # how far a square image's face may sit from the FFHQ square


@dataclass
class OpenedFace:
    photo: Photo
    aligned: AlignedFace
    was_aligned: bool  # the file was already an aligned square face


def is_ffhq_aligned(face: DetectedFace, side: int) -> bool:
    """Does this face already fill a side x side image the way FFHQ alignment would?"""
    expected = transform_for_face(face.landmarks, (side, side), side).crop_to_photo
    identity = AlignmentTransform.identity(side, (side, side)).crop_to_photo
    offset = np.abs(expected - identity)
    return bool(offset[:, :2].max() < ALIGNED_TOLERANCE and offset[:, 2].max() < ALIGNED_TOLERANCE * side)


def open_face(
    path: str | os.PathLike,
    face_index: int = 0,
    size: int = 1024,
    aligned: bool | None = None,
) -> OpenedFace:
    """Read a photo, find its faces and cut the chosen one's aligned crop.

    ``aligned=None`` recognises an already aligned square face by itself; True takes
    the file as the crop without looking for faces; False always aligns.
    """
    photo = read_photo(path)
    name = Path(path).name
    if aligned:
        return OpenedFace(photo, aligned_as_is(photo.rgb, size, name), True)
    faces = detect_faces(photo.rgb)
    square = photo.width == photo.height
    if aligned is None and square and len(faces) == 1 and is_ffhq_aligned(faces[0], photo.width):
        crop = aligned_as_is(photo.rgb, size, name)
        crop.landmarks = crop.transform.to_crop(faces[0].landmarks)
        return OpenedFace(photo, crop, True)
    return OpenedFace(photo, align_photo(photo.rgb, face_index, size, name, faces), False)


def paste_result(
    photo: Photo,
    result: np.ndarray,
    transform: AlignmentTransform,
    labels: np.ndarray,
    regions: tuple[int, ...] = FACE_REGIONS,
) -> np.ndarray:
    """The photo at full resolution with ``result`` (an edited aligned crop) blended in."""
    if (photo.width, photo.height) != tuple(transform.photo_size):
        width, height = transform.photo_size
        raise InputError(
            f"This alignment belongs to a {width}x{height} photo, but the photo is"
            f" {photo.width}x{photo.height}. Paste into the photo the face was aligned from."
        )
    mask = face_mask_from_labels(labels, regions, result.shape[0])
    return paste_back(photo.rgb, result, transform.crop_to_photo, mask)
