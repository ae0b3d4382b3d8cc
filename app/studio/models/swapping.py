"""Face swap and hair transfer on a document: plan (for a live preview), then commit one step. No Qt.

The source face is one of the document's references (its labels, vectors, looks and landmarks).
E4S drives the source to the target's pose with a reenactment network whose weights cannot ship;
here the source's map is placed on the target's head by a similarity transform from the inner-face
landmarks, the source keeping its own shape and expression. ``reenact`` is the hook for a
reenactment step (off by default): it gets the source and the target and returns the driven source.

    plan = plan_swap(document, reference_hash, amount=0.3)     # λ: 0 the full swap, 1 the target
    state = swap_preview(document, plan)                        # render this while the slider moves
    apply_swap(document, plan)                                  # one undoable step
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from e4s_core.errors import InputError
from e4s_core.regions import LABEL_MAP_SIZE
from e4s_core.swap import (
    EARRINGS,
    HAIR,
    TARGET_KEEPS,
    recompose_masks,
    swap_amount,
    swap_textures,
    transfer_hair,
)

from .document import Document, FaceSource, FaceState, Reference
from .edits import LabelDelta
from .swap_edits import HairEdit, SwapEdit

FOREGROUND_GROWTH = 5  # px at 512: the authors grow the swapped face by this before blending
INNER_LANDMARKS = slice(27, 68)  # nose, eyes, mouth: where a head sits, whatever its jaw does

Reenact = Callable[[Reference, FaceSource], Reference]


@dataclass(frozen=True)
class SwapPlan:
    reference: str
    amount: float
    hair_first: bool
    labels: np.ndarray  # uint8 [512, 512]: the recomposed map
    vectors: np.ndarray  # float32 [R, V]: the swapped vectors at this amount
    replaced: np.ndarray  # bool [512, 512]: the swapped face and its holes, grown; shows the render
    regions: tuple[int, ...]  # the rows that differ from the document's


def plan_swap(
    document: Document,
    reference: str,
    amount: float = 0.0,
    hair_first: bool = True,
    keep: Iterable[int] = TARGET_KEEPS,
    reenact: Reenact | None = None,
) -> SwapPlan:
    """The swap of ``reference``'s face onto the document's face, not yet applied."""
    source = document.references[reference]
    if reenact is not None:
        source = reenact(source, document.source)
    target_labels = document.canvas.labels
    labels, holes = recompose_masks(source_on_target(source, document.source), target_labels, hair_first)
    swapped = swap_textures(source.vectors, document.vectors, keep)
    vectors = swap_amount(swapped, document.vectors, amount)
    foreground = ~np.isin(labels, (0, HAIR, EARRINGS)) | holes
    size = 2 * FOREGROUND_GROWTH + 1
    replaced = cv2.dilate(foreground.astype(np.uint8), np.ones((size, size), np.uint8)) > 0
    regions = tuple(int(r) for r in np.nonzero((vectors != document.vectors).any(axis=1))[0])
    return SwapPlan(reference, float(amount), hair_first, labels, vectors, replaced, regions)


def source_on_target(source: Reference, target: FaceSource) -> np.ndarray:
    """The source's label map placed on the target's head (similarity from inner landmarks)."""
    if source.landmarks is None or target.aligned.landmarks is None:
        return source.labels
    scale = LABEL_MAP_SIZE / target.aligned.image.shape[0]
    target_points = np.asarray(target.aligned.landmarks, np.float64)[INNER_LANDMARKS] * scale
    source_points = np.asarray(source.landmarks, np.float64)[INNER_LANDMARKS]
    matrix, _ = cv2.estimateAffinePartial2D(source_points, target_points, method=cv2.LMEDS)
    if matrix is None:
        return source.labels
    size = (LABEL_MAP_SIZE, LABEL_MAP_SIZE)
    return cv2.warpAffine(source.labels, matrix, size, flags=cv2.INTER_NEAREST, borderValue=0)


def swap_preview(document: Document, plan: SwapPlan) -> FaceState:
    """What the document would render with ``plan`` applied (for a live λ preview)."""
    state = document.snapshot()
    looks = document.references[plan.reference].region_looks
    replaced = plan.replaced if state.replaced is None else state.replaced | plan.replaced
    targets = state.targets.mixed(looks, plan.regions, 1 - plan.amount)
    return FaceState(plan.labels.copy(), plan.vectors.copy(), state.photo_vectors, targets, replaced)


def apply_swap(document: Document, plan: SwapPlan) -> SwapEdit:
    """Commit ``plan`` as one history step."""
    delta, regions, old, new = _changes(document, plan.labels, plan.vectors)
    edit = SwapEdit(
        document, delta, regions, old, new, plan.reference, plan.amount, plan.hair_first, plan.replaced
    )
    edit.redo()
    document.history.push(edit)
    return edit


def apply_hair(document: Document, reference: str, shape: bool = False) -> HairEdit:
    """The reference's hair texture on the person, and with ``shape`` its outline, as one step."""
    source = document.references[reference]
    if not (source.labels == HAIR).any():
        raise InputError(f"{source.name} has no hair to take.")
    labels = document.canvas.labels
    if shape:
        labels = transfer_hair(labels, source_on_target(source, document.source))
    vectors = document.vectors.copy()
    vectors[HAIR] = source.vectors[HAIR]
    delta, regions, old, new = _changes(document, labels, vectors)
    edit = HairEdit(document, delta, regions, old, new, reference, shape)
    edit.redo()
    document.history.push(edit)
    return edit


def _changes(document: Document, labels: np.ndarray, vectors: np.ndarray):
    """(label delta or None, regions, old rows, new rows) from the document's state to these."""
    size = document.canvas.size
    delta = LabelDelta.between(document.canvas.labels, labels, (0, 0, size, size))
    regions = tuple(int(r) for r in np.nonzero((vectors != document.vectors).any(axis=1))[0])
    rows = list(regions)
    return delta, regions, document.vectors[rows].copy(), vectors[rows].astype(np.float32)
