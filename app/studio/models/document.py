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
from e4s_core.compositing import Compositor, RegionLooks, region_looks
from e4s_core.errors import InputError
from e4s_core.imageio import image_to_tensor, labels_to_tensor
from e4s_core.photo.align import AlignedFace
from e4s_core.photo.io import Photo
from e4s_core.photo.parse import FaceParser, LandmarkParser, describe_parser, parse_face
from e4s_core.photo.pipeline import open_face
from e4s_core.regions import LABEL_MAP_SIZE

from .canvas import LabelCanvas
from .edits import FitEdit, TextureEdit
from .events import Event
from .history import History
from .swap_edits import HairEdit, SwapEdit

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
    looks: np.ndarray  # float32 [R, 4]: its photo's RegionLooks (what a texture edit aims at)
    landmarks: np.ndarray | None = None  # float [68, 2] at label-map scale: where its face sits

    @property
    def region_looks(self) -> RegionLooks:
        return RegionLooks.from_array(self.looks)


@dataclass
class FaceSource:
    """An opened face: the photo (if any), its aligned crop and the parsed label map."""

    aligned: AlignedFace
    parsed: np.ndarray  # uint8 [512, 512]
    photo: Photo | None = None
    name: str = ""
    file_hash: str = ""  # of the file's bytes: references are cached by it
    parser: str = ""  # which parser made ``parsed`` (as describe_parser says), "" if not known


def load_face(path: str | Path, face_index: int = 0, parser: FaceParser | None = None) -> FaceSource:
    """Read, align and parse a photo or an aligned face (slow: run it off the GUI thread)."""
    path = Path(path)
    opened = open_face(path, face_index)
    file_hash = content_hash(path.read_bytes())
    parser = parser or LandmarkParser()
    labels = parse_face(opened.aligned, parser)
    return FaceSource(opened.aligned, labels, opened.photo, path.name, file_hash, describe_parser(parser))


def encode_face(model: E4SModel, source: FaceSource) -> np.ndarray:
    """[R, V] texture vectors of a face under its parsed labels."""
    image = image_to_tensor(source.aligned.image)
    labels = labels_to_tensor(source.parsed)
    with torch.inference_mode():
        return model.encode(image, labels)[0].cpu().numpy()


def make_reference(model: E4SModel, source: FaceSource) -> Reference:
    thumbnail = cv2.resize(source.aligned.image, (THUMBNAIL_SIZE,) * 2, interpolation=cv2.INTER_AREA)
    looks = region_looks(source.aligned.image, source.parsed).to_array()
    landmarks = None
    if source.aligned.landmarks is not None:
        scale = LABEL_MAP_SIZE / source.aligned.image.shape[0]
        landmarks = np.asarray(source.aligned.landmarks, np.float64) * scale
    vectors = encode_face(model, source)
    return Reference(source.file_hash, source.name, thumbnail, source.parsed, vectors, looks, landmarks)


@dataclass(frozen=True)
class PendingTexture:
    """A texture mix being previewed (the slider moves), not yet a history step."""

    reference: str
    regions: tuple[int, ...]
    alpha: float


def changed_rows(vectors: np.ndarray, photo_vectors: np.ndarray) -> tuple[int, ...]:
    """Regions whose texture vectors are no longer the photo's (a texture edit reached them)."""
    return tuple(int(r) for r in np.nonzero((vectors != photo_vectors).any(axis=1))[0])


@dataclass(frozen=True)
class FaceState:
    """What a render needs, copied so the user can go on editing meanwhile."""

    labels: np.ndarray  # uint8 [512, 512]: the edited map
    vectors: np.ndarray  # float32 [R, V]: the edited vectors
    photo_vectors: np.ndarray  # float32 [R, V]: what stands for the photo (encoded, then fitted)
    targets: RegionLooks  # what the texture edits aim at, region by region
    replaced: np.ndarray | None = None  # bool [512, 512]: where a face swap shows the generated face

    @property
    def texture_regions(self) -> tuple[int, ...]:
        return changed_rows(self.vectors, self.photo_vectors)


class Document:
    def __init__(self, source: FaceSource, vectors: np.ndarray, history_limit: int = 500):
        self.source = source
        self.base_vectors = vectors.astype(np.float32)
        self.vectors = self.base_vectors.copy()
        self.history = History(limit=history_limit)
        self.canvas = LabelCanvas(source.parsed, parsed=source.parsed, history=self.history)
        self.references: dict[str, Reference] = {}
        self.vectors_changed = Event("vectors changed")
        self._compositor: Compositor | None = None
        self.result_view: str | None = None  # how the result was last looked at (saved in projects)

    @classmethod
    def open(
        cls, model: E4SModel, path: str | Path, face_index: int = 0, parser: FaceParser | None = None
    ) -> "Document":
        source = load_face(path, face_index, parser)
        document = cls(source, encode_face(model, source))
        document.compositor  # noqa: B018 (prepared here, off the GUI thread)
        return document

    # -- texture -----------------------------------------------------------------------------
    def set_vector_rows(self, regions: Iterable[int], rows: np.ndarray) -> None:
        self.vectors[list(regions)] = rows
        self.vectors_changed.emit()

    def add_reference(self, reference: Reference) -> Reference:
        return self.references.setdefault(reference.hash, reference)

    def mixed_vectors(self, reference: str, regions: Iterable[int], alpha: float) -> np.ndarray:
        """The vectors a texture edit would give, without committing it (live preview)."""
        if not 0 <= alpha <= 1:  # also refuses NaN
            raise InputError(f"a texture mix must be between 0 and 1, got {alpha}")
        regions = list(regions)
        mixed = self.vectors.copy()
        target = self.references[reference].vectors[regions]
        mixed[regions] = (1 - alpha) * self.vectors[regions] + alpha * target
        return mixed

    @property
    def compositor(self) -> Compositor:
        """The photo prepared for compositing (built on first use: ~0.1 s for a 1024 crop)."""
        if self._compositor is None:
            self._compositor = Compositor(self.source.aligned.image, self.source.parsed)
        return self._compositor

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

    def photo_vectors(self) -> np.ndarray:
        """[R, V]: what stands for the unedited photo: the encoded vectors with every applied fit."""
        vectors = self.base_vectors.copy()
        for edit in self.history.edits[: self.history.position]:
            if isinstance(edit, FitEdit):
                vectors[list(edit.regions)] = edit.new
        return vectors

    def textured_regions(self) -> tuple[int, ...]:
        """Regions whose texture the user changed (their vectors are no longer the photo's)."""
        return changed_rows(self.vectors, self.photo_vectors())

    def _looks_of(self, reference: str) -> RegionLooks:
        return self.references[reference].region_looks

    # -- rendering (call from the render worker) ---------------------------------------------
    def snapshot(self, pending: PendingTexture | None = None) -> FaceState:
        """The current edit (with a texture mix being previewed) as copies a render may keep.

        The photo's vectors are the encoded ones with every applied fit; the targets start
        from the photo's own region looks and follow the applied texture mixes (a fit returns
        its regions to the photo's looks), then the pending one.
        """
        photo_vectors = self.photo_vectors()
        own = self.compositor.looks
        targets = own
        replaced = None
        for edit in self.history.edits[: self.history.position]:
            if isinstance(edit, FitEdit):
                targets = targets.mixed(own, edit.regions, 1.0)
            elif isinstance(edit, TextureEdit):
                targets = targets.mixed(self._looks_of(edit.reference), edit.regions, edit.alpha)
            elif isinstance(edit, SwapEdit):  # a swap of amount λ takes 1 - λ of the source's looks
                targets = targets.mixed(self._looks_of(edit.reference), edit.regions, 1 - edit.amount)
                replaced = edit.replaced.copy() if replaced is None else replaced | edit.replaced
            elif isinstance(edit, HairEdit):
                targets = targets.mixed(self._looks_of(edit.reference), edit.regions, 1.0)
        vectors = self.vectors.copy()
        if pending is not None:
            vectors = self.mixed_vectors(pending.reference, pending.regions, pending.alpha)
            reference = self.references[pending.reference].region_looks
            targets = targets.mixed(reference, pending.regions, pending.alpha)
        return FaceState(self.canvas.labels.copy(), vectors, photo_vectors, targets, replaced)
