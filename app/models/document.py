"""The studio's document: one face, its label map, its texture vectors, references, history.

Qt-free. Shape edits change the label map (``LabelCanvas``); texture edits mix region
vectors toward a reference's (``TextureEdit``). Neither re-encodes the face: every
result is ``render(style_codes(vectors), labels)``, as in the paper's tool. Slow steps
(opening, encoding, rendering) are plain functions the GUI runs on its render worker.
"""

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from e4s_core import E4SModel
from e4s_core.imageio import image_to_tensor, tensor_to_image
from e4s_core.network.regional import RegionLayout
from e4s_core.photo.align import AlignedFace
from e4s_core.photo.io import Photo
from e4s_core.photo.parse import parse_face
from e4s_core.photo.pipeline import open_face, paste_result
from e4s_core.regions import REGIONS
from e4s_core.runtime import background_render_threads, intra_op_threads

from .canvas import LabelCanvas
from .history import History

LABEL_SIZE = 512  # the network's label maps; the canvas edits at this size
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
    file_hash: str = ""
    file_bytes: bytes = field(default=b"", repr=False)


def load_face(path: str | Path, face_index: int = 0) -> FaceSource:
    """Read, align and parse a photo or an aligned face (slow: run it off the GUI thread)."""
    path = Path(path)
    opened = open_face(path, face_index)
    data = path.read_bytes()
    return FaceSource(
        opened.aligned, parse_face(opened.aligned), opened.photo, path.name, content_hash(data), data
    )


def encode_face(model: E4SModel, source: FaceSource) -> np.ndarray:
    """[R, V] texture vectors of a face under its parsed labels."""
    image = image_to_tensor(source.aligned.image)
    labels = torch.from_numpy(source.parsed).long()[None]
    with torch.inference_mode():
        return model.encode(image, labels)[0].cpu().numpy()


def make_reference(model: E4SModel, source: FaceSource) -> Reference:
    thumbnail = cv2.resize(source.aligned.image, (THUMBNAIL_SIZE,) * 2, interpolation=cv2.INTER_AREA)
    return Reference(source.file_hash, source.name, thumbnail, source.parsed, encode_face(model, source))


class TextureEdit:
    """Regions' vectors moved toward a reference's: new = (1 - alpha) * current + alpha * reference."""

    def __init__(
        self, document: "Document", reference: str, regions: tuple[int, ...], alpha: float, old, new
    ):
        self.document, self.reference, self.regions, self.alpha = document, reference, regions, alpha
        self.old, self.new = old, new  # float32 [len(regions), V]
        names = ", ".join(REGIONS[r].label for r in regions)
        self.label = f"Texture {alpha:.0%} from {document.references[reference].name}: {names}"

    def undo(self) -> None:
        self.document.set_vector_rows(self.regions, self.old)

    def redo(self) -> None:
        self.document.set_vector_rows(self.regions, self.new)


class Document:
    def __init__(self, source: FaceSource, vectors: np.ndarray, history_limit: int = 500):
        self.source = source
        self.base_vectors = vectors.astype(np.float32)
        self.vectors = self.base_vectors.copy()
        self.history = History(limit=history_limit)
        self.canvas = LabelCanvas(source.parsed, parsed=source.parsed, history=self.history)
        self.references: dict[str, Reference] = {}
        self._vector_listeners: list[Callable[[], None]] = []

    @classmethod
    def open(cls, model: E4SModel, path: str | Path, face_index: int = 0) -> "Document":
        source = load_face(path, face_index)
        return cls(source, encode_face(model, source))

    # -- texture -----------------------------------------------------------------------------
    def add_vector_listener(self, listener: Callable[[], None]) -> None:
        self._vector_listeners.append(listener)

    def set_vector_rows(self, regions: Iterable[int], rows: np.ndarray) -> None:
        self.vectors[list(regions)] = rows
        for listener in self._vector_listeners:
            listener()

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


class LayoutCache:
    """The label geometry of the last mask rendered, so texture-only edits skip rebuilding it.

    Building a layout (resized labels, border sites of every layer) costs tens of
    milliseconds; while the user drags the mix slider the mask does not change.
    """

    def __init__(self):
        self._key: tuple | None = None
        self._layout = None

    def get(self, model: E4SModel, labels: np.ndarray) -> RegionLayout:
        key = (id(model), labels.shape, hashlib.blake2b(labels.tobytes(), digest_size=16).digest())
        if key != self._key:
            self._layout = model.layout(torch.from_numpy(labels).long()[None])
            self._key = key
        return self._layout


def render_face(
    model: E4SModel,
    labels: np.ndarray,
    vectors: np.ndarray,
    size: int | None = None,
    layouts: LayoutCache | None = None,
) -> np.ndarray:
    """uint8 [S, S, 3] result for a (labels, vectors) snapshot; ``size`` = preview stage.

    Every caller (the window's render thread, render-project) renders with the same intra-op
    thread count, so a replayed project gives the window's result bit for bit.
    """
    with torch.inference_mode(), intra_op_threads(background_render_threads(model)):
        codes = model.style_codes(torch.from_numpy(vectors)[None])
        layout = (
            layouts.get(model, labels)
            if layouts is not None
            else model.layout(torch.from_numpy(labels).long()[None])
        )
        image = model.render(codes, layout, size=size)
    return tensor_to_image(image)


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
