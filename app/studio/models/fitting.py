"""Fit to photo: the paper's optimisation phase for the open face, as one undoable step (Qt-free).

The encoder's vectors are a one-pass guess; ``e4s_core.fitting.fit_vectors`` refines the face
regions' vectors on the photo (Adam, lr 1e-2, 50 steps). The fit always compares against the
photo's own regions (the parsed label map), never the user's edited mask: an edited mask says
what the face should become, not where the photo's skin or eyes are. The result is rendered
with the edited mask as usual.

    result = fit_face(model, document.source, document.vectors.copy(), steps=50)   # slow
    edit = apply_fit(document, started_from, result)                               # one step

A ``FitEdit`` stores the old and new rows of the face regions (like ``TextureEdit``), so undo
restores the encoder's vectors exactly and projects save and replay it.

A fit never undoes the user's work: regions that carry a texture edit (their vectors differ from
the photo's) are left out of it (``regions_to_fit``), and the step's label names them.
"""

import numpy as np
import torch

from e4s_core import E4SModel
from e4s_core import paper_constants as paper
from e4s_core.errors import InputError
from e4s_core.fitting import FitResult, Progress, ShouldStop, fit_vectors
from e4s_core.imageio import image_to_tensor, labels_to_tensor
from e4s_core.regions import FACE_REGIONS
from e4s_core.runtime import background_threads, intra_op_threads

from .document import Document, FaceSource
from .edits import FitEdit


def regions_to_fit(document: Document) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(the face regions a fit may move, the face regions it must keep because they carry a texture edit)."""
    edited = set(document.textured_regions())
    kept = tuple(r for r in FACE_REGIONS if r in edited)
    return tuple(r for r in FACE_REGIONS if r not in edited), kept


def fit_face(
    model: E4SModel,
    source: FaceSource,
    vectors: np.ndarray,
    steps: int = paper.FIT_VECTORS_STEPS,
    lr: float = paper.FIT_VECTORS_LR,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    regions: tuple[int, ...] = FACE_REGIONS,
) -> FitResult:
    """Fit ``regions`` of ``vectors`` [R, V] on the source photo under its parsed labels (slow);
    the loss sees only those regions' pixels."""
    image = image_to_tensor(source.aligned.image)  # [1, 3, S, S] in [-1, 1]
    labels = labels_to_tensor(source.parsed)  # [1, 512, 512]: the photo's own regions
    start = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32))[None]  # [1, R, V]
    with intra_op_threads(background_threads(model)):  # beside the render thread, never under it
        return fit_vectors(
            model,
            image,
            labels,
            start,
            steps=steps,
            lr=lr,
            regions=regions,
            progress=progress,
            should_stop=should_stop,
        )


def apply_fit(
    document: Document,
    started_from: np.ndarray,
    result: FitResult,
    regions: tuple[int, ...] = FACE_REGIONS,
    kept: tuple[int, ...] = (),
) -> FitEdit | None:
    """Commit a finished fit of ``regions`` as one history step; None when cancelled or nothing improved.

    ``started_from`` [R, V] is the copy of the vectors the fit began with; ``kept`` are the texture-edited
    regions it left alone (named in the step). A cancelled fit changes nothing (Cancel means "leave my
    face as it was"), even though the engine returns its best so far.
    """
    if result.cancelled:
        return None
    if not regions:
        raise InputError("Every face region carries a texture edit, so there is nothing to fit.")
    regions = list(regions)
    if not np.array_equal(document.vectors[regions], started_from[regions]):
        raise InputError(
            "The face's textures changed while fitting, so the fit no longer applies. Fit again."
        )
    new = result.vectors.detach().float().cpu().numpy()[0, regions]  # [len(regions), V]
    old = document.vectors[regions].copy()
    if np.array_equal(old, new):
        return None
    edit = FitEdit(
        document, tuple(regions), old, new, result.psnr_before, result.psnr_after, result.steps_done, kept
    )
    document.set_vector_rows(regions, new)
    document.history.push(edit)
    return edit
