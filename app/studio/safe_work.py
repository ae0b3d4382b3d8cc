"""Work is never lost: the modified marker, the unsaved-changes prompt, the autosave and recovery.

The document is *modified* when its history's newest applied step is not the one it had when it
was last opened or saved (so undoing back to the saved state is unmodified again). Replacing the
work (close, open another photo or project, New) asks first: Save, Discard or Cancel. The autosave
file is written every 30 s while there are unsaved changes and is removed only when the work is
saved or the user explicitly discards it; a crash, a kill or a power cut leave it for recovery on
the next start.
"""

import logging
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer
from PySide6.QtWidgets import QMessageBox

from .models.project import save_project
from .settings import AUTOSAVE_PATH

log = logging.getLogger(__name__)

AUTOSAVE_INTERVAL_MS = 30_000
APP_TITLE = "E4S Studio"


class Unsaved(Enum):
    """What the user chose when asked about unsaved changes."""

    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


_NEVER_SAVED = object()  # a recovered autosave: modified although nothing was edited since


class SafeWork(QObject):
    def __init__(self, window, settings) -> None:
        super().__init__(window)
        self.window = window
        self.project_path: str | None = None  # where Save writes without asking
        self.autosave_path = Path(
            str(settings.value(AUTOSAVE_PATH, ""))
            or Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
            / "autosave.e4s"
        )
        self.ask = self.ask_with_dialog  # tests may answer for the user
        self._saved_top: object = None  # the newest applied edit when last saved or opened
        self._unsaved_since_autosave = False
        self._owns_autosave = False  # only this window's autosave is removed, never another's
        self._timer = QTimer(self, interval=AUTOSAVE_INTERVAL_MS, timeout=self.autosave_now)
        self._timer.start()

    # -- the modified state --------------------------------------------------------------------
    def _top(self) -> object:
        document = self.window.document
        if document is None:
            return None
        history = document.history
        return history.edits[history.position - 1] if history.position else None

    @property
    def modified(self) -> bool:
        return self.window.document is not None and self._top() is not self._saved_top

    def mark_saved(self, project_path: str | None = None) -> None:
        """The open work is safe on disk (saved) or freshly opened (nothing to lose)."""
        self.project_path = project_path
        self._saved_top = self._top()
        self._unsaved_since_autosave = False
        self.discard_autosave()
        self.update_title()

    def mark_unsaved(self) -> None:
        """The open work exists nowhere but here (a recovered autosave)."""
        self.project_path = None
        self._saved_top = _NEVER_SAVED
        self.update_title()

    def history_changed(self) -> None:
        self._unsaved_since_autosave = True
        self.update_title()

    def update_title(self) -> None:
        window, document = self.window, self.window.document
        if document is None:
            window.setWindowTitle(APP_TITLE)
        else:
            name = Path(self.project_path).name if self.project_path else document.source.name
            window.setWindowTitle(f"{name}[*] — {APP_TITLE}")  # Qt shows [*] as "*" when modified
        window.setWindowModified(self.modified)

    # -- asking before the work is replaced ----------------------------------------------------
    def confirm_replace(self, action: str) -> bool:
        """True when the open work may go: nothing unsaved, saved now, or discarded by the user.

        ``action`` finishes the question "Save the changes to x before ...?", e.g. "closing".
        """
        if not self.modified:
            return True
        self.autosave_now()  # so that what the question says is true even if the answer is a crash
        answer = self.ask(action)
        if answer is Unsaved.SAVE:
            from .files import save_project_dialog

            return save_project_dialog(self.window)
        if answer is Unsaved.DISCARD:
            self.discard_autosave()
            return True
        return False

    def ask_with_dialog(self, action: str) -> Unsaved:
        document = self.window.document
        name = Path(self.project_path).name if self.project_path else document.source.name
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(APP_TITLE)
        box.setText(f"Save the changes to {name} before {action}?")
        box.setInformativeText("Until you save or discard them, they stay in the autosave.")
        buttons = QMessageBox.StandardButton
        box.setStandardButtons(buttons.Save | buttons.Discard | buttons.Cancel)
        box.setDefaultButton(buttons.Save)
        box.setEscapeButton(buttons.Cancel)
        choice = box.exec()
        return {buttons.Save: Unsaved.SAVE, buttons.Discard: Unsaved.DISCARD}.get(
            buttons(choice), Unsaved.CANCEL
        )

    # -- autosave and recovery -----------------------------------------------------------------
    def autosave_now(self) -> bool:
        """Save unsaved work to the autosave file if it changed since the last autosave."""
        if not (self.window.document is not None and self.modified and self._unsaved_since_autosave):
            return False
        try:
            self.autosave_path.parent.mkdir(parents=True, exist_ok=True)
            save_project(self.window.document, self.autosave_path)
        except Exception as error:  # never let a background save break editing
            log.warning("autosave failed: %s", error)
            return False
        self._unsaved_since_autosave = False
        self._owns_autosave = True
        return True

    def discard_autosave(self) -> None:
        if self._owns_autosave:
            self.autosave_path.unlink(missing_ok=True)
            self._owns_autosave = False

    def recover_autosave(self) -> bool:
        """Reopen the work a crashed session left in the autosave file (still unsaved work)."""
        from .files import open_project

        if not (self.autosave_path.exists() and open_project(self.window, str(self.autosave_path))):
            return False
        self._owns_autosave = True
        self.mark_unsaved()
        return True

    def stop(self) -> None:
        self._timer.stop()
