"""Start-up: the window is there before the model, says what it is doing, and tells a new user
what the bundled model is."""

import threading

from PySide6.QtCore import QSettings
from studio_helpers import face_files, local_random_model, wait_idle

from app.studio.main_window import MainWindow
from app.studio.safe_work import Unsaved
from app.studio.settings import AUTOSAVE_PATH
from e4s_core import load_model


def new_window(qtbot, tmp_path, settings=None) -> MainWindow:
    settings = settings or QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue(AUTOSAVE_PATH, str(tmp_path / "autosave.e4s"))
    window = MainWindow(None, settings=settings)
    window.setProperty("quiet", True)
    window.work.ask = lambda _action: Unsaved.DISCARD
    qtbot.addWidget(window)
    window.show()
    return window


def test_a_photo_asked_for_while_the_model_loads_opens_when_it_is_ready(qtbot, tmp_path):
    window = new_window(qtbot, tmp_path)
    photo, _ = face_files(tmp_path)
    release = threading.Event()
    model = local_random_model()
    window.load_model_in_background(lambda: release.wait(30) and (model, None))
    window.open_photo(photo)
    assert window.isVisible() and window.model is None and window.opening_photo
    assert "Loading the model" in window.statusBar().currentMessage() and window.busy_bar.isVisible()
    assert not window.errors
    release.set()
    qtbot.waitUntil(lambda: window.document is not None, timeout=30000)
    wait_idle(qtbot, window)
    assert window.model is model and window.result is not None and not window.opening_photo


def test_a_model_that_fails_to_load_is_one_clear_message(qtbot, tmp_path):
    window = new_window(qtbot, tmp_path)
    window.load_model_in_background(lambda: (None, "broken.pt is not a model file."))
    qtbot.waitUntil(lambda: bool(window.errors), timeout=30000)
    assert "broken.pt is not a model file" in window.errors[-1] and "Choose model" in window.errors[-1]


def test_the_bundled_model_note_shows_until_dismissed(qtbot, tmp_path):
    bundled = load_model(None, device="cpu")
    assert bundled.bundled and not local_random_model().bundled
    window = new_window(qtbot, tmp_path)
    window.load_model_in_background(lambda: (bundled, None))
    qtbot.waitUntil(lambda: window.model is not None, timeout=30000)
    note = window.first_run_note
    assert note.isVisible() and "synthetic" in note.label.text() and "authors" in note.label.text()
    note.dismiss_button.click()
    assert not note.isVisible()
    later = new_window(qtbot, tmp_path, settings=window.settings)
    later.load_model_in_background(lambda: (bundled, None))
    qtbot.waitUntil(lambda: later.model is not None, timeout=30000)
    assert not later.first_run_note.isVisible()


def test_the_note_is_not_shown_for_another_model(qtbot, tmp_path):
    window = new_window(qtbot, tmp_path)
    window.load_model_in_background(lambda: (local_random_model(), None))
    qtbot.waitUntil(lambda: window.model is not None, timeout=30000)
    assert not window.first_run_note.isVisible()
