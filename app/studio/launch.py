"""Start the studio window (and the headless screenshot used by README and review)."""

import logging
import os
import sys

from e4s_core.errors import E4SError
from e4s_core.untrusted import printable

log = logging.getLogger(__name__)


def startup_model(path: str | None, device: str | None):
    """(model, problem): the model on the command line, else the last one chosen in the studio,
    else the one ``e4s-studio models use`` chose, else the bundled one; ``problem`` says why an
    earlier candidate could not be used. Slow (seconds): the window runs it on its task thread."""
    from e4s_core import load_model
    from e4s_core.model_files import ModelRegistry

    from .settings import MODEL_PATH, user_settings

    problem = ""
    candidates = [path] if path else []
    if not path:
        remembered = user_settings().value(MODEL_PATH)
        candidates += [str(remembered)] if remembered else []
        try:
            active = ModelRegistry().active_file("model")
            candidates += [str(active)] if active else []
        except E4SError as error:
            problem = str(error)
        candidates.append(None)
    for candidate in candidates:
        try:
            return load_model(candidate, device=device), problem or None
        except E4SError as error:
            problem = str(error)
    return None, problem


def start_studio(
    photo: str | None = None,
    model_path: str | None = None,
    device: str | None = None,
    screenshot: bool = False,
):
    """(app, window): the window shown at once, the model loading and the photo opening behind it.

    A splash appears before PyTorch is imported (about 2 s on a small CPU); the window follows
    and says what it is doing until the first result is on screen.
    """
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("E4S Studio")
    splash = None if screenshot else _splash(app)
    from .main_window import MainWindow  # imports PyTorch: the slow part of starting

    window = MainWindow(None)
    window.show()
    if splash is not None:
        splash.finish(window)
    window.load_model_in_background(lambda: startup_model(model_path, device))
    if photo:
        window.open_photo(photo)  # opens as soon as the model is there
    return app, window


def _splash(app):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
    from PySide6.QtWidgets import QSplashScreen

    pixmap = QPixmap(420, 160)
    pixmap.fill(QColor(38, 38, 40))
    painter = QPainter(pixmap)
    painter.setPen(QColor(235, 235, 235))
    font = QFont(app.font())
    font.setPointSize(20)
    painter.setFont(font)
    painter.drawText(pixmap.rect().adjusted(0, 30, 0, 0), Qt.AlignmentFlag.AlignHCenter, "E4S Studio")
    painter.end()
    splash = QSplashScreen(pixmap)
    bottom = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom
    splash.showMessage("Starting… (loading PyTorch)", bottom, QColor(180, 180, 180))
    splash.show()
    app.processEvents()
    return splash


def run_studio(
    photo: str | None = None,
    model_path: str | None = None,
    device: str | None = None,
    screenshot: str | None = None,
) -> int:
    if screenshot:
        from e4s_core.files import check_output_path

        check_output_path(screenshot, (".png",), "the screenshot")  # before minutes of work
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _quiet_offscreen_warnings()
    app, window = start_studio(photo, model_path, device, screenshot=bool(screenshot))
    if not photo and not screenshot and window.work.autosave_path.exists():
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(
            window, "E4S Studio", "E4S Studio did not close properly last time. Recover the unsaved edit?"
        )
        if answer == QMessageBox.StandardButton.Yes:
            window.work.recover_autosave()
    if screenshot:
        return take_screenshot(app, window, screenshot, photo=bool(photo))
    return app.exec()


def _quiet_offscreen_warnings() -> None:
    """The offscreen platform warns that it cannot pass size hints, which a screenshot never needs;
    every other Qt message still reaches stderr."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(kind, context, message: str) -> None:
        if "does not support propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def take_screenshot(app, window, path: str, photo: bool, timeout_s: float = 120.0) -> int:
    """Wait for the photo (if any) to open and render fully, then save the window as PNG."""
    import time

    from e4s_core.files import atomic_write

    window.setProperty("quiet", True)
    window.resize(1600, 900)
    deadline = time.monotonic() + timeout_s
    waiting_for_photo = photo
    while time.monotonic() < deadline:
        app.processEvents()
        loaded = window.model is not None and not window.opening_photo
        opened = window.document is not None or not waiting_for_photo
        rendered = window.document is None or window.result is not None
        idle = window.tasks.pending == 0 and not window.renders.pending
        if (loaded and opened and rendered and idle) or (window.errors and idle):  # a failure ends the wait
            break
        time.sleep(0.02)
    app.processEvents()
    if waiting_for_photo and window.document is None:  # a picture of an error is not the screenshot asked for
        window.close()
        reason = window.errors[-1] if window.errors else f"the photo did not open within {timeout_s:.0f} s"
        print(f"e4s-studio: no screenshot written: {printable(reason)}", file=sys.stderr)
        return 2
    image = window.grab()
    atomic_write(path, lambda temp: image.save(temp, "PNG"))
    print(f"wrote {path}")
    if window.errors:
        print("\n".join(window.errors), file=sys.stderr)
    window.close()
    return 0 if not window.errors else 1
