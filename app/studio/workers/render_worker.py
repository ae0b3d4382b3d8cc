"""Run model calls off the GUI thread: newest request wins, stale results are dropped.

``LatestJobRunner`` (Qt-free) owns one daemon thread. Each ``submit`` gets the next generation
number and *replaces* any job still waiting, so at most one job is pending and older pending
jobs never run. A job already running is not interrupted (a torch forward pass cannot be), but
its result is delivered only if no newer job was submitted meanwhile. Errors come back as data
in ``RenderOutcome.error``: the message of an ``E4SError`` as-is, an ``OSError`` as what failed
on which file, anything else as "Internal error: <type>: <message>" (logged with its traceback).

Preview then full: while the user drags, submit a cheap job with ``kind="preview"``; when they
pause or release, submit the full job with ``kind="full"``. Newest-wins means a burst of drags
costs at most one preview in flight, and the full render replaces any preview still waiting.
Callers read ``outcome.kind`` to label what they show.

``RenderWorker`` is the Qt adapter: its signals are always emitted in the GUI thread, so slots
connected to them may touch widgets.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal, Slot

from e4s_core.errors import E4SError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderOutcome:
    """The result of one job; exactly one of ``value`` and ``error`` is meaningful."""

    generation: int
    kind: str
    value: object | None
    error: str | None
    seconds: float


class LatestJobRunner:
    """One background thread that runs only the newest submitted job (see module docstring).

    ``on_result`` is called in the worker thread, without the runner's lock held.
    ``on_busy_changed`` is called with the new value from whichever thread caused the change,
    *with* the lock held so that transitions arrive in order: it must only post work elsewhere
    (emit a queued signal), never block or wait on the runner.
    """

    def __init__(
        self,
        on_result: Callable[[RenderOutcome], None],
        on_busy_changed: Callable[[bool], None] | None = None,
        name: str = "render-worker",
    ) -> None:
        self._on_result = on_result
        self._on_busy_changed = on_busy_changed
        self._cond = threading.Condition(threading.RLock())
        self._pending: tuple[int, str, Callable[[], object]] | None = None
        self._running = False
        self._latest = 0  # generation of the newest submitted job
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        """True while a job is running or waiting to run."""
        with self._cond:
            return self._running or self._pending is not None

    @property
    def latest_generation(self) -> int:
        with self._cond:
            return self._latest

    def submit(self, job: Callable[[], object], kind: str = "full") -> int:
        """Queue ``job`` in place of any pending one; returns its generation number."""
        with self._cond:
            if self._stopping:
                raise RuntimeError("render worker has been shut down")
            was_busy = self._running or self._pending is not None
            self._latest += 1
            self._pending = (self._latest, kind, job)
            if not was_busy:
                self._set_busy(True)
            self._cond.notify_all()
            return self._latest

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is running or pending (and its result delivered); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not (self._running or self._pending), timeout)

    def shutdown(self, timeout: float | None = 5.0) -> None:
        """Drop any pending job, stop the thread and join it; idempotent.

        A running job is left to finish but its result is not delivered and no busy change is
        reported: callbacks may reach widgets that are being closed.
        """
        with self._cond:
            if not self._stopping:
                self._stopping = True
                self._pending = None
                self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _set_busy(self, busy: bool) -> None:  # called with the lock held
        if self._on_busy_changed is not None:
            try:
                self._on_busy_changed(busy)
            except Exception:
                logger.exception("busy callback failed")

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopping or self._pending is not None)
                if self._stopping:
                    return
                generation, kind, job = self._pending
                self._pending = None
                self._running = True
            outcome = _run(job, generation, kind)
            with self._cond:
                deliver = generation == self._latest and not self._stopping
            if deliver:
                try:
                    self._on_result(outcome)
                except Exception:
                    logger.exception("result callback failed for generation %d", generation)
            with self._cond:
                self._running = False
                if self._pending is None and not self._stopping:
                    self._set_busy(False)
                self._cond.notify_all()


def _run(job: Callable[[], object], generation: int, kind: str) -> RenderOutcome:
    start = time.perf_counter()
    value, error = None, None
    try:
        value = job()
    except E4SError as exc:
        error = str(exc)
    except OSError as exc:  # a file error no reader named: still the user's to fix, not a bug
        where = f" ({exc.filename})" if exc.filename else ""
        error = f"{exc.strerror or exc}{where}. Check the file and the folder, then try again."
    except MemoryError:
        error = "Out of memory. Use a smaller photo, or close other programs, then try again."
    except Exception as exc:
        logger.exception("render job %d (%s) failed", generation, kind)
        error = f"Internal error: {type(exc).__name__}: {exc}"
    return RenderOutcome(generation, kind, value, error, time.perf_counter() - start)


class RenderWorker(QObject):
    """Qt face of ``LatestJobRunner``; create it in the GUI thread.

    The worker thread emits private signals connected with ``Qt.QueuedConnection`` to slots of
    this object (which lives in the GUI thread); those slots re-emit the public signals, so
    ``finished`` and ``busy_changed`` fire in the GUI thread whatever the receiver is.
    """

    finished = Signal(object)  # RenderOutcome
    busy_changed = Signal(bool)

    _outcome_ready = Signal(object)
    _busy_ready = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._outcome_ready.connect(self._emit_finished, Qt.ConnectionType.QueuedConnection)
        self._busy_ready.connect(self._emit_busy, Qt.ConnectionType.QueuedConnection)
        self._undelivered = 0  # outcomes posted by the worker thread, not yet emitted here
        self._lock = threading.Lock()
        self._runner = LatestJobRunner(self._post_outcome, self._busy_ready.emit)

    @property
    def busy(self) -> bool:
        """A job is running or waiting, or its result has not reached ``finished`` yet.

        The worker thread is done before its queued result is emitted here; counting that
        result as still busy means "not busy" always comes with the newest result delivered.
        """
        with self._lock:
            undelivered = self._undelivered
        return self._runner.busy or undelivered > 0

    def request(self, job: Callable[[], object], kind: str = "full") -> int:
        """Render ``job`` as soon as the worker is free, replacing any request still waiting."""
        return self._runner.submit(job, kind)

    def shutdown(self, timeout: float | None = 5.0) -> None:
        self._runner.shutdown(timeout)

    def _post_outcome(self, outcome: RenderOutcome) -> None:  # on the worker thread, still running
        with self._lock:
            self._undelivered += 1
        self._outcome_ready.emit(outcome)

    @Slot(object)
    def _emit_finished(self, outcome: RenderOutcome) -> None:
        with self._lock:
            self._undelivered -= 1
        self.finished.emit(outcome)

    @Slot(bool)
    def _emit_busy(self, busy: bool) -> None:
        self.busy_changed.emit(busy)
