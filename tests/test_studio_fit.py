"""Edit › Fit to photo in the real window, offscreen, with a tiny random model and few steps."""

import numpy as np
import pytest
from studio_helpers import wait_idle

from app.studio.files import open_project, save_project_to
from app.studio.fit_action import FitAction
from app.studio.models.edits import FitEdit
from app.studio.models.project import replay
from e4s_core import paper_constants as paper
from e4s_core.regions import FACE_REGIONS, region_id

OTHER_REGIONS = [r for r in range(12) if r not in FACE_REGIONS]


@pytest.fixture
def fitting(opened):
    """A window with a photo open and a short fit (the paper's 50 steps take too long here)."""
    window, _, _ = opened
    window.fitter.steps = 3
    return window


def fit(qtbot, window) -> None:
    window.fitter.action.trigger()
    qtbot.waitUntil(lambda: not window.fitter.running, timeout=30000)
    wait_idle(qtbot, window)


def test_fit_is_disabled_without_a_photo_and_defaults_to_the_papers_steps(window):
    assert isinstance(window.fitter, FitAction) and window.fitter.steps == paper.FIT_VECTORS_STEPS
    assert not window.fitter.action.isEnabled()
    assert "photo" in window.fitter.action.toolTip()


def test_fit_changes_only_face_regions_as_one_undoable_step(fitting, qtbot):
    window = fitting
    before, steps = window.document.vectors.copy(), window.document.history.position
    fit(qtbot, window)
    after = window.document.vectors
    assert window.document.history.position == steps + 1
    assert isinstance(window.document.history.edits[-1], FitEdit)
    assert np.array_equal(after[OTHER_REGIONS], before[OTHER_REGIONS])
    assert not np.array_equal(after[[region_id("skin")]], before[[region_id("skin")]])
    assert window.statusBar().currentMessage().startswith("Fitted face regions: PSNR")
    assert window.fitter.action.isEnabled() and not window.fitter.cancel_button.isVisible()
    window.undo()
    assert np.array_equal(window.document.vectors, before)
    window.redo()
    assert np.array_equal(window.document.vectors, after)


def test_fit_uses_the_photos_own_regions_when_the_mask_was_edited(fitting, qtbot):
    window = fitting
    edited = np.full_like(window.document.canvas.labels, region_id("hair"))  # no face regions left
    window.document.canvas.replace(edited, "All hair")
    fit(qtbot, window)
    assert not window.errors
    assert isinstance(window.document.history.edits[-1], FitEdit)
    assert np.array_equal(window.document.canvas.labels, edited)  # the edited mask is still rendered


def test_cancel_leaves_the_document_as_it_was(fitting, qtbot):
    window = fitting
    window.fitter.steps = 10_000  # far more than the test waits for
    before, steps = window.document.vectors.copy(), window.document.history.position
    window.fitter.action.trigger()
    assert window.fitter.running and not window.fitter.action.isEnabled()
    qtbot.waitUntil(lambda: window.fitter.steps_done > 0, timeout=30000)
    assert window.statusBar().currentMessage().startswith("Fitting ")
    window.fitter.cancel_action.trigger()  # Esc
    qtbot.waitUntil(lambda: not window.fitter.running, timeout=30000)
    assert window.document.history.position == steps
    assert np.array_equal(window.document.vectors, before)
    assert "cancelled" in window.statusBar().currentMessage()
    assert window.fitter.action.isEnabled()


def test_a_saved_fit_opens_and_replays_to_the_same_vectors(fitting, qtbot, tmp_path):
    window = fitting
    fit(qtbot, window)
    fitted = window.document.vectors.copy()
    assert save_project_to(window, str(tmp_path / "fit.e4s"))
    window.undo()
    assert open_project(window, str(tmp_path / "fit.e4s"))
    document = window.document
    assert np.array_equal(document.vectors, fitted) and isinstance(document.history.edits[-1], FitEdit)
    assert np.array_equal(replay(document).vectors, fitted)
    document.history.undo()
    assert np.array_equal(document.vectors, document.base_vectors)


def test_fit_after_a_texture_edit_keeps_the_edit_and_says_so(fitting, qtbot):
    window = fitting
    document = window.document
    skin, lips = region_id("skin"), region_id("lips")
    swapped = document.vectors[[skin]] + 0.5
    document.set_vector_rows((skin,), swapped)  # stands for a texture edit of the skin
    before = document.vectors.copy()
    fit(qtbot, window)
    edit = document.history.edits[-1]
    assert isinstance(edit, FitEdit) and skin not in edit.regions and edit.kept == (skin,)
    assert np.array_equal(document.vectors[[skin]], swapped)  # the user's skin is still there
    assert not np.array_equal(document.vectors[[lips]], before[[lips]])  # the others were fitted
    assert "kept your texture of Skin" in edit.label
    assert "kept your texture of Skin" in window.statusBar().currentMessage()


def test_fit_with_every_face_region_edited_changes_nothing_and_says_why(fitting, qtbot):
    window = fitting
    document = window.document
    document.set_vector_rows(FACE_REGIONS, document.vectors[list(FACE_REGIONS)] + 0.5)
    steps = document.history.position
    window.fitter.action.trigger()
    assert not window.fitter.running and document.history.position == steps
    assert "nothing to fit" in window.errors[-1]
