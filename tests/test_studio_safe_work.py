"""Work is never lost: the title's modified marker, the unsaved-changes prompt, the autosave."""

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from studio_helpers import labels_of, wait_idle

from app.studio.files import open_project, save_project_to
from app.studio.safe_work import Unsaved
from e4s_core.regions import region_id


def paint(window) -> None:
    """One mask edit (a history step), as a gesture would make."""
    labels = labels_of(window)
    labels[200:230, 200:230] = region_id("hair")
    window.document.canvas.replace(labels, "Paint")


def answer_next_prompt(button: QMessageBox.StandardButton, seen: list[str]) -> None:
    """Click ``button`` in the unsaved-changes box as soon as it is shown (it is modal)."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append(box.text())
        box.button(button).click()

    QTimer.singleShot(0, click)


@pytest.fixture
def edited(opened, qtbot):
    window, photo, reference = opened
    paint(window)
    wait_idle(qtbot, window)
    return window


def test_the_title_names_the_file_and_marks_unsaved_changes(opened, tmp_path):
    window, _, _ = opened
    assert window.windowTitle() == "astronaut.png[*] — E4S Studio" and not window.isWindowModified()
    paint(window)
    assert window.isWindowModified()
    window.undo()  # back to the state as opened
    assert not window.isWindowModified()
    window.redo()
    assert save_project_to(window, str(tmp_path / "mine.e4s"))
    assert window.windowTitle() == "mine.e4s[*] — E4S Studio" and not window.isWindowModified()


def test_closing_with_unsaved_changes_asks_cancel_keeps_everything_discard_removes_the_autosave(
    edited, qtbot
):
    window = edited
    window.work.ask = window.work.ask_with_dialog  # the real dialog, driven below
    assert window.work.autosave_now() and window.work.autosave_path.exists()
    seen = []
    answer_next_prompt(QMessageBox.StandardButton.Cancel, seen)
    assert not window.close()
    assert seen == ["Save the changes to astronaut.png before closing?"]
    assert window.isVisible() and window.document is not None and window.work.autosave_path.exists()
    answer_next_prompt(QMessageBox.StandardButton.Discard, seen)
    assert window.close()
    assert len(seen) == 2 and not window.work.autosave_path.exists()


def test_save_from_the_prompt_writes_the_project_then_closes(edited, qtbot, tmp_path):
    window = edited
    window.work.project_path = str(tmp_path / "work.e4s")  # Save needs no file dialog then
    labels = labels_of(window)
    window.work.autosave_now()
    window.work.ask = window.work.ask_with_dialog
    answer_next_prompt(QMessageBox.StandardButton.Save, [])
    assert window.close()
    assert not window.work.autosave_path.exists()
    window.document = None  # as a new session would start
    assert open_project(window, str(tmp_path / "work.e4s"))
    assert np.array_equal(labels_of(window), labels)


def test_an_unsaved_edit_survives_a_close_that_was_not_clean(edited, qtbot):
    window = edited
    assert window.work.autosave_now()
    window.work.stop()  # as if the process died here: no close, no prompt
    assert window.work.autosave_path.exists()


def test_opening_another_photo_or_new_asks_first_and_cancel_keeps_the_work(edited, qtbot, tmp_path):
    window = edited
    asked = []
    window.work.ask = lambda action: asked.append(action) or Unsaved.CANCEL
    labels = labels_of(window)
    window.open_photo(tmp_path / "hopper.png")
    assert not window.close_document()
    assert asked == ["opening another photo", "starting anew"]
    wait_idle(qtbot, window)
    assert window.document.source.name == "astronaut.png" and np.array_equal(labels_of(window), labels)
    window.work.ask = lambda action: Unsaved.DISCARD
    assert window.close_document()
    assert window.document is None and window.windowTitle() == "E4S Studio"
    assert not window.work.autosave_path.exists()


def test_a_saved_document_closes_without_asking(opened, tmp_path):
    window, _, _ = opened
    paint(window)
    assert save_project_to(window, str(tmp_path / "saved.e4s"))
    window.work.ask = lambda action: pytest.fail(f"asked before {action} although everything was saved")
    assert window.close()
