"""What the user sees and exports: the photo with the edit ("photo" view) or the model's raw render.

Qt-free; the window's render thread, ``render-project`` and ``edit`` all make results here, so
the three show the same pixels.

    renderer = ResultRenderer()                       # one per thread: it caches renders
    result = renderer.render(model, document, document.snapshot())
    face = result.face("photo")                       # uint8 [S, S, 3] at the crop's size
    photo = pasted_photo(document.source, result, "photo")   # the full photo, or None
"""

from dataclasses import dataclass

import cv2
import numpy as np

from e4s_core import E4SModel
from e4s_core.compositing import Composite
from e4s_core.photo.paste import face_mask_from_labels, paste_back, paste_change
from e4s_core.regions import FACE_REGIONS
from e4s_core.rendering import LayoutCache, render_face

from .document import Document, FaceSource, FaceState, content_hash

RESULT_VIEWS = ("photo", "render")  # the photo with the edit; the model's own rendering
DEFAULT_VIEW = RESULT_VIEWS[0]


@dataclass
class Result:
    render: np.ndarray  # uint8 [M, M, 3]: the model's raw render of the edited state
    composite: Composite  # the photo's crop with the edit, at the crop's size

    def face(self, view: str) -> np.ndarray:
        """The face as ``view`` shows it, at the crop's size (uint8 [S, S, 3])."""
        if view == "photo":
            return self.composite.crop
        side = self.composite.crop.shape[0]
        return _resized(self.render, side)


class ResultRenderer:
    """Renders results on one thread, reusing the label geometry and the photo's own render."""

    def __init__(self) -> None:
        self._edited_layouts, self._original_layouts = LayoutCache(), LayoutCache()
        self._original: tuple[tuple, np.ndarray] | None = None

    def render(
        self, model: E4SModel, document: Document, state: FaceState, size: int | None = None
    ) -> Result:
        """The result of ``state`` (a snapshot of ``document``); ``size``: a preview stage."""
        edited = render_face(model, state.labels, state.vectors, size, self._edited_layouts)
        original = self._original_render(model, document, state, size)
        composite = document.compositor.composite(
            original, edited, state.labels, state.texture_regions, state.targets, state.replaced
        )
        return Result(edited, composite)

    def _original_render(self, model, document, state: FaceState, size) -> np.ndarray:
        parsed = document.source.parsed
        key = (model.identity, size, content_hash(parsed.tobytes()), state.photo_vectors.tobytes())
        if self._original is None or self._original[0] != key:
            image = render_face(model, parsed, state.photo_vectors, size, self._original_layouts)
            self._original = (key, image)
        return self._original[1]


def pasted_photo(source: FaceSource, result: Result, view: str) -> np.ndarray | None:
    """The full photo with the result in it (None when the face came without a photo).

    Photo view: only the edit's change goes back, so every other pixel stays the photo's.
    Render view: the raw render replaces the face regions and whatever the edit changed.
    """
    if source.photo is None:
        return None
    transform = source.aligned.transform
    crop = source.aligned.image
    if view == "photo":
        return paste_change(
            source.photo.rgb, crop, result.composite.crop, transform.crop_to_photo, result.composite.changed
        )
    side = crop.shape[0]
    mask = face_mask_from_labels(source.parsed, FACE_REGIONS, side) > 0
    mask |= result.composite.changed
    return paste_back(source.photo.rgb, _resized(result.render, side), transform.crop_to_photo, mask)


def _resized(image: np.ndarray, side: int) -> np.ndarray:
    if image.shape[0] == side:
        return image
    interpolation = cv2.INTER_CUBIC if image.shape[0] < side else cv2.INTER_AREA
    return cv2.resize(image, (side, side), interpolation=interpolation)
