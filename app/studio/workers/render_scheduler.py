"""Which render runs next: previews while the user works, the full result after a pause.

The render worker runs the newest request and drops a running job's result when a newer
one arrives. If every mouse move queued a render, a long stroke would show nothing until
it stopped; so nothing is queued while the worker is busy. Owed renders run as soon as
it is free: the preview first, then the full result.
"""

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from .render_worker import RenderWorker

FULL_RENDER_DELAY_MS = 250  # pause after the last change before the full-resolution render

RenderJob = Callable[[], object]


class RenderScheduler(QObject):
    def __init__(self, worker: RenderWorker, make_job: Callable[[bool], RenderJob | None], parent=None):
        """``make_job(preview)`` snapshots the current edit into a job, or None if there is none."""
        super().__init__(parent)
        self.worker, self._make_job = worker, make_job
        self._preview_owed = self._full_owed = self._stopped = False
        self._timer = QTimer(self, singleShot=True, interval=FULL_RENDER_DELAY_MS)
        self._timer.timeout.connect(self.full_now)
        worker.busy_changed.connect(self._on_busy)

    @property
    def pending(self) -> bool:
        """A render is running, owed or waiting for the pause."""
        return self.worker.busy or self._timer.isActive() or self._preview_owed or self._full_owed

    def preview(self) -> int | None:
        return self._request(preview=True)

    def full_soon(self) -> None:
        """The full render, once the user has paused for FULL_RENDER_DELAY_MS."""
        if not self._stopped:
            self._timer.start()

    def full_now(self) -> int | None:
        return self._request(preview=False)

    def stop(self) -> None:
        self._stopped = True
        self._timer.stop()

    def _request(self, preview: bool) -> int | None:
        if self._stopped:
            return None
        if self.worker.busy:
            if preview:
                self._preview_owed = True
            else:
                self._full_owed = True
            return None
        if not preview:
            self._preview_owed = False  # the full render shows everything a preview would
        job = self._make_job(preview)
        return None if job is None else self.worker.request(job, "preview" if preview else "full")

    def _on_busy(self, busy: bool) -> None:
        if busy:
            return
        if self._preview_owed:
            self._preview_owed = False
            self.preview()
        elif self._full_owed:
            self._full_owed = False
            self.full_now()
