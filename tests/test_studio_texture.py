"""The texture controls in the real window: the controls preview, Apply (or Enter) commits once."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from studio_helpers import wait_idle

from e4s_core.regions import region_id

HAIR = region_id("hair")


@pytest.fixture
def with_reference(opened, qtbot):
    """The opened window with grace_hopper encoded in the gallery and selected."""
    window, _, reference = opened
    window.add_references([reference])
    qtbot.waitUntil(lambda: len(window.document.references) == 1, timeout=30000)
    window.gallery.select_reference(next(iter(window.document.references)))
    wait_idle(qtbot, window)
    return window


def shown(window) -> np.ndarray:
    return window._last_shown.face("render").copy()


def test_ticking_a_region_at_full_mix_previews_it_without_a_history_step(with_reference, qtbot):
    window = with_reference
    steps, before = window.document.history.position, shown(window)
    assert window.tools.alpha() == 1.0 and not window.tools.apply_button.isEnabled()
    window.regions.set_checked((HAIR,))
    wait_idle(qtbot, window)
    assert not np.array_equal(shown(window), before)  # the preview shows the swap
    assert window.document.history.position == steps  # nothing committed
    assert window.tools.apply_button.isEnabled() and window.apply_texture_action.isEnabled()


def test_moving_and_releasing_the_slider_previews_and_only_apply_commits_once(with_reference, qtbot):
    window = with_reference
    window.regions.set_checked((HAIR,))
    steps = window.document.history.position
    slider = window.tools.alpha_slider
    slider.setSliderDown(True)
    slider.setValue(40)
    slider.setSliderDown(False)  # the release
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)  # keys only preview too: 50 %
    wait_idle(qtbot, window)
    previewed = shown(window)
    assert window.document.history.position == steps
    window.tools.apply_button.click()
    wait_idle(qtbot, window)
    history = window.document.history
    assert history.position == steps + 1
    label = history.edits[-1].label
    assert "50%" in label and "hopper" in label and "Hair" in label
    assert np.array_equal(shown(window), previewed)  # what was previewed is what was committed
    assert not window.tools.apply_button.isEnabled()  # applying again would change nothing
    window.apply_texture_action.trigger()
    assert history.position == steps + 1


def test_enter_applies_and_undo_leaves_no_stale_preview(with_reference, qtbot):
    window = with_reference
    original = shown(window)
    window.regions.set_checked((HAIR,))
    steps = window.document.history.position
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert window.document.history.position == steps + 1
    window.undo()
    wait_idle(qtbot, window)
    assert np.array_equal(shown(window), original)  # the undone swap is not previewed again
    assert window.tools.apply_button.isEnabled()  # but Apply would make it again


def test_mix_zero_changes_nothing_and_cannot_be_applied(with_reference, qtbot):
    window = with_reference
    window.regions.set_checked((HAIR,))
    window.tools.set_alpha(0.0)
    wait_idle(qtbot, window)
    assert not window.tools.apply_button.isEnabled() and window.tools.alpha_slider.isEnabled()
