"""Edit › Fit to photo: the optimisation phase on the task thread, with progress and Cancel.

The fit itself is Qt-free (``models/fitting.py``); this is its menu action, its progress in
the status bar ("Fitting 12/50…") and its Cancel (Esc or the status bar button). The result
becomes one history step when it arrives, if the document it started from is still open.
"""

import threading
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QPushButton

from e4s_core import E4SModel
from e4s_core import paper_constants as paper
from e4s_core.errors import E4SError
from e4s_core.regions import REGIONS

from .models.document import Document
from .models.fitting import apply_fit, fit_face, regions_to_fit
from .workers.render_worker import RenderOutcome

TASK_KEY = "fit"
TOOLTIP = (
    "Refine the face regions' textures on the photo ({steps} optimisation steps, as in the paper). "
    "The model's first guess is rough on real photos; fitting gets closer. One undoable step."
)


@dataclass
class _Running:
    document: Document
    model: E4SModel
    started_from: np.ndarray  # float32 [R, V], the vectors the fit began with
    regions: tuple[int, ...]  # the face regions it moves
    kept: tuple[int, ...]  # the face regions it leaves alone: they carry the user's texture edits


class FitAction(QObject):
    progressed = Signal(int, int)  # steps done, steps: emitted on the task thread, handled in the GUI's

    def __init__(self, window, menu) -> None:
        super().__init__(window)
        self.window = window
        self.steps = paper.FIT_VECTORS_STEPS  # tests lower it
        self.lr = paper.FIT_VECTORS_LR
        self.steps_done = 0
        self._running: _Running | None = None
        self._stop = threading.Event()
        self.action = QAction("&Fit to photo", window, shortcut=QKeySequence("Ctrl+F"))
        self.action.setToolTip(TOOLTIP.format(steps=self.steps))
        self.action.setStatusTip(self.action.toolTip())
        self.action.triggered.connect(self.start)
        self.cancel_action = QAction("&Cancel fit", window, shortcut=QKeySequence("Esc"), enabled=False)
        self.cancel_action.triggered.connect(self.cancel)
        menu.addAction(self.action)
        menu.addAction(self.cancel_action)
        menu.setToolTipsVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop fitting and leave the face as it was (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        window.statusBar().insertPermanentWidget(0, self.cancel_button)
        self.progressed.connect(self._on_progress)
        self.update_enabled()

    @property
    def running(self) -> bool:
        return self._running is not None

    def update_enabled(self) -> None:
        ready = self.window.document is not None and self.window.model is not None
        self.action.setEnabled(ready and not self.running)
        self.cancel_action.setEnabled(self.running)

    def start(self) -> None:
        window = self.window
        if self.running or window.document is None or window.model is None:
            return
        document, model = window.document, window.model
        regions, kept = regions_to_fit(document)
        if not regions:
            window.show_error(
                "Every face region carries a texture edit, so there is nothing to fit "
                "(fitting would undo your edits). Undo an edit to fit its region.",
                dialog=False,
            )
            return
        started_from = document.vectors.copy()
        steps, lr, stop = self.steps, self.lr, self._stop
        stop.clear()
        self._running = _Running(document, model, started_from, regions, kept)
        self.steps_done = 0
        window.tasks.submit(
            TASK_KEY,
            lambda: fit_face(
                model,
                document.source,
                started_from,
                steps,
                lr,
                progress=lambda done, total, _loss: self.progressed.emit(done, total),
                should_stop=stop.is_set,
                regions=regions,
            ),
        )
        window.busy_bar.setRange(0, max(steps, 1))
        window.busy_bar.setValue(0)
        window.busy_bar.show()
        self.cancel_button.show()
        keeping = f" (keeping your texture of {_names(kept)})" if kept else ""
        window.statusBar().showMessage(f"Fitting 0/{steps}{keeping}…")
        self.update_enabled()

    def cancel(self) -> None:
        """Stop after the current step; the document is left as it was."""
        if self.running:
            self._stop.set()
            self.window.statusBar().showMessage("Cancelling the fit…")

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if not self.running or self._stop.is_set():
            return
        self.steps_done = done
        self.window.busy_bar.setValue(done)
        self.window.statusBar().showMessage(f"Fitting {done}/{total}…")

    def finish(self, outcome: RenderOutcome) -> None:
        """The task queue's outcome for the fit: commit it as one step, or say why not."""
        window, running = self.window, self._running
        self._running = None
        window.busy_bar.setRange(0, 0)  # back to the indeterminate "busy" bar
        window._on_busy(window.worker.busy)
        self.cancel_button.hide()
        self.update_enabled()
        if running is None:
            return
        status = window.statusBar()
        if outcome.error:
            window.show_error(f"Fit to photo failed: {outcome.error}")
            return
        result = outcome.value
        if result.cancelled:
            status.showMessage("Fit cancelled — the face is unchanged.", 5000)
            return
        if running.document is not window.document or running.model is not window.model:
            status.showMessage("Fit discarded: another face or model was opened while fitting.", 8000)
            return
        try:
            edit = apply_fit(running.document, running.started_from, result, running.regions, running.kept)
        except E4SError as error:
            window.show_error(str(error), dialog=False)
            return
        if edit is None:
            status.showMessage(f"The fit found nothing better (PSNR {result.psnr_before:.1f} dB).", 8000)
            return
        kept = f"; kept your texture of {_names(running.kept)}" if running.kept else ""
        status.showMessage(
            f"Fitted face regions: PSNR {result.psnr_before:.1f} → {result.psnr_after:.1f} dB"
            f" in {result.seconds:.0f} s{kept}",
            10000,
        )


def _names(regions: tuple[int, ...]) -> str:
    return ", ".join(REGIONS[r].label for r in regions)
