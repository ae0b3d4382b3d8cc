"""The studio's document: one face, its label map, its texture vectors, references, history.

Qt-free. Shape edits change the label map (``LabelCanvas``); texture edits mix region
vectors toward a reference's (``TextureEdit``). Neither re-encodes the face: every
result is ``render(style_codes(vectors), labels)`` (``e4s_core.rendering.render_face``), as
in the paper's tool. Slow steps (opening, encoding) are plain functions the GUI runs on its
task thread.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from e4s_core import E4SModel
from e4s_core.imageio import image_to_tensor, labels_to_tensor
from e4s_core.photo.align import AlignedFace
from e4s_core.photo.io import Photo
from e4s_core.photo.parse import parse_face
from e4s_core.photo.pipeline import open_face, paste_result

from .canvas import LabelCanvas
from .edits import TextureEdit
from .events import Event
from .history import History

THUMBNAIL_SIZE = 96


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass
class Reference:
    """A face whose region textures can be borrowed; encoded once, cached by content hash."""

    hash: str
    name: str
    thumbnail: np.ndarray  # uint8 [T, T, 3]
    labels: np.ndarray  # uint8 [512, 512]
    vectors: np.ndarray  # float32 [R, V]


@dataclass
class FaceSource:
    """An opened face: the photo (if any), its aligned crop and the parsed label map."""

    aligned: AlignedFace
    parsed: np.ndarray  # uint8 [512, 512]
    photo: Photo | None = None
    name: str = ""
    file_hash: str = ""  # of the file's bytes: references are cached by it


def load_face(path: str | Path, face_index: int = 0) -> FaceSource:
    """Read, align and parse a photo or an aligned face (slow: run it off the GUI thread)."""
    path = Path(path)
    opened = open_face(path, face_index)
    file_hash = content_hash(path.read_bytes())
    return FaceSource(opened.aligned, parse_face(opened.aligned), opened.photo, path.name, file_hash)


def encode_face(model: E4SModel, source: FaceSource) -> np.ndarray:
    """[R, V] texture vectors of a face under its parsed labels."""
    image = image_to_tensor(source.aligned.image)
    labels = labels_to_tensor(source.parsed)
    with torch.inference_mode():
        return model.encode(image, labels)[0].cpu().numpy()


def make_reference(model: E4SModel, source: FaceSource) -> Reference:
    thumbnail = cv2.resize(source.aligned.image, (THUMBNAIL_SIZE,) * 2, interpolation=cv2.INTER_AREA)
    return Reference(source.file_hash, source.name, thumbnail, source.parsed, encode_face(model, source))


class Document:
    def __init__(self, source: FaceSource, vectors: np.ndarray, history_limit: int = 500):
        self.source = source
        self.base_vectors = vectors.astype(np.float32)
        self.vectors = self.base_vectors.copy()
        self.history = History(limit=history_limit)
        self.canvas = LabelCanvas(source.parsed, parsed=source.parsed, history=self.history)
        self.references: dict[str, Reference] = {}
        self.vectors_changed = Event("vectors changed")

    @classmethod
    def open(cls, model: E4SModel, path: str | Path, face_index: int = 0) -> "Document":
        source = load_face(path, face_index)
        return cls(source, encode_face(model, source))

    # -- texture -----------------------------------------------------------------------------
    def set_vector_rows(self, regions: Iterable[int], rows: np.ndarray) -> None:
        self.vectors[list(regions)] = rows
        self.vectors_changed.emit()

    def add_reference(self, reference: Reference) -> Reference:
        return self.references.setdefault(reference.hash, reference)

    def mixed_vectors(self, reference: str, regions: Iterable[int], alpha: float) -> np.ndarray:
        """The vectors a texture edit would give, without committing it (live preview)."""
        regions = list(regions)
        mixed = self.vectors.copy()
        target = self.references[reference].vectors[regions]
        mixed[regions] = (1 - alpha) * self.vectors[regions] + alpha * target
        return mixed

    def apply_texture(self, reference: str, regions: Iterable[int], alpha: float) -> TextureEdit | None:
        """Commit a swap (alpha = 1) or interpolation of the checked regions as one history step."""
        regions = tuple(sorted(set(regions)))
        if not regions or alpha == 0:
            return None
        new = self.mixed_vectors(reference, regions, alpha)[list(regions)]
        old = self.vectors[list(regions)].copy()
        if np.array_equal(old, new):
            return None
        edit = TextureEdit(self, reference, regions, float(alpha), old, new)
        self.set_vector_rows(regions, new)
        self.history.push(edit)
        return edit

    # -- rendering (call from the render worker) ---------------------------------------------
    def snapshot(self, vectors: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Copies of (labels, vectors) so a render never sees a half-applied edit."""
        return self.canvas.labels.copy(), (self.vectors if vectors is None else vectors).copy()


def pasted_result(source: FaceSource, result: np.ndarray, labels: np.ndarray) -> np.ndarray | None:
    """The result blended back into the original photo at full resolution (None without a photo)."""
    if source.photo is None:
        return None
    size = source.aligned.transform.size
    if result.shape[0] != size:
        result = cv2.resize(
            result, (size, size), interpolation=cv2.INTER_CUBIC if result.shape[0] < size else cv2.INTER_AREA
        )
    return paste_result(source.photo, result, source.aligned.transform, labels)
