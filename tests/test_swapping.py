"""Face swap and hair transfer on documents, with the bundled model on synthetic faces.

Colours are compared as region means in CIELAB (ΔE76) on the Photo view at the crop's size.
"""

import cv2
import numpy as np
import pytest

import e4s_core
from app.studio.models.document import Document, FaceSource, encode_face, make_reference
from app.studio.models.project import load_project, replay, save_project
from app.studio.models.result import ResultRenderer
from app.studio.models.swapping import apply_hair, apply_swap, plan_swap, swap_preview
from e4s_core.photo.align import AlignedFace, AlignmentTransform
from e4s_core.regions import region_id
from e4s_core.synthetic import make_face
from e4s_core.synthetic.seeds import HELD_OUT_SEEDS

SIDE = 256
SKIN, HAIR, BACKGROUND, LIP = (region_id(n) for n in ("skin", "hair", "background", "lip"))


@pytest.fixture(scope="module")
def model():
    return e4s_core.load_model(device="cpu")


def synthetic_source(seed: int) -> FaceSource:
    face = make_face(seed, SIDE)
    labels = cv2.resize(face.labels, (512, 512), interpolation=cv2.INTER_NEAREST)
    aligned = AlignedFace(face.image, AlignmentTransform.identity(SIDE, (SIDE, SIDE)), None)
    return FaceSource(aligned, labels, None, f"face{seed}.png", str(seed))


@pytest.fixture
def pair(model):
    """(document of the target face, the source face's reference hash, the source)."""
    target, source = synthetic_source(HELD_OUT_SEEDS[301]), synthetic_source(HELD_OUT_SEEDS[302])
    document = Document(target, encode_face(model, target))
    reference = document.add_reference(make_reference(model, source))
    return document, reference.hash, source


def mean_lab(rgb: np.ndarray, labels: np.ndarray, region: int) -> np.ndarray:
    small = cv2.resize(labels, rgb.shape[:2][::-1], interpolation=cv2.INTER_NEAREST)
    inner = cv2.erode((small == region).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    return cv2.cvtColor(rgb.astype(np.float32) / 255, cv2.COLOR_RGB2Lab)[inner].mean(axis=0)


def photo_view(model, document, state=None):
    return ResultRenderer().render(model, document, state or document.snapshot()).face("photo")


def test_a_full_swap_brings_the_sources_face_colours_and_keeps_the_targets_hair_and_background(model, pair):
    document, reference, source = pair
    before = document.source.aligned.image
    plan = plan_swap(document, reference, amount=0.0)
    apply_swap(document, plan)
    after = photo_view(model, document)
    labels = document.canvas.labels
    for region in (SKIN, LIP):
        moved = np.linalg.norm(
            mean_lab(after, labels, region) - mean_lab(source.aligned.image, source.parsed, region)
        )
        assert moved < 6.0, f"region {region} is {moved:.1f} ΔE from the source's"
    replaced = cv2.resize(plan.replaced.astype(np.uint8), (SIDE, SIDE), interpolation=cv2.INTER_NEAREST)
    far = cv2.distanceTransform(1 - replaced, cv2.DIST_L2, 5) > 12  # beyond the blend's reach at 256 px
    assert far.mean() > 0.2 and np.array_equal(after[far], before[far])  # hair, background: the target's
    assert document.history.position == 1 and document.history.edits[0].kind == "swap"


def test_the_amount_runs_from_the_full_swap_to_the_targets_own_face_monotonically(model, pair):
    document, reference, source = pair
    target_skin = mean_lab(document.source.aligned.image, document.source.parsed, SKIN)
    distances = []
    for amount in (0.0, 0.25, 0.5, 0.75, 1.0):
        plan = plan_swap(document, reference, amount=amount)
        state = swap_preview(document, plan)
        distances.append(
            np.linalg.norm(mean_lab(photo_view(model, document, state), plan.labels, SKIN) - target_skin)
        )
    assert np.allclose(plan_swap(document, reference, amount=1.0).vectors, document.vectors)
    assert distances[-1] < 3.0, "λ = 1: the target's own skin"
    assert all(a >= b - 0.5 for a, b in zip(distances, distances[1:], strict=False)), distances


def test_a_swap_is_one_undoable_step_that_projects_save_and_replay(model, pair, tmp_path):
    document, reference, _ = pair
    labels, vectors = document.canvas.labels.copy(), document.vectors.copy()
    apply_swap(document, plan_swap(document, reference, amount=0.4, hair_first=False))
    swapped_labels, swapped_vectors = document.canvas.labels.copy(), document.vectors.copy()
    opened = load_project(save_project(document, tmp_path / "swap.e4s"))
    assert np.array_equal(opened.canvas.labels, swapped_labels) and np.array_equal(
        opened.vectors, swapped_vectors
    )
    assert np.array_equal(replay(opened).snapshot().replaced, document.snapshot().replaced)
    document.history.undo()
    assert np.array_equal(document.canvas.labels, labels) and np.array_equal(document.vectors, vectors)
    assert document.snapshot().replaced is None


def test_hair_transfer_changes_the_hair_and_leaves_the_face(model, pair):
    document, reference, source = pair
    before = photo_view(model, document)
    apply_hair(document, reference)
    after = photo_view(model, document)
    labels = document.canvas.labels
    toward = np.linalg.norm(
        mean_lab(after, labels, HAIR) - mean_lab(source.aligned.image, source.parsed, HAIR)
    )
    away = np.linalg.norm(
        mean_lab(before, labels, HAIR) - mean_lab(source.aligned.image, source.parsed, HAIR)
    )
    assert toward < away / 2, (toward, away)
    assert np.linalg.norm(mean_lab(after, labels, SKIN) - mean_lab(before, labels, SKIN)) < 2.0
    apply_hair(document, reference, shape=True)  # and the reference's hair outline
    assert document.history.edits[-1].kind == "hair" and document.history.edits[-1].shape
