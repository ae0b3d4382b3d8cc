"""Background tasks that must all run, in order (opening photos, encoding references).

Unlike renders (newest wins, see ``render_worker``), every task here matters: each
reference a user adds must be encoded. One thread runs them first-in first-out;
``finished`` carries a ``RenderOutcome`` (``kind`` is the task's key) in the GUI thread.
"""

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, Qt, Signal, Slot

from .render_worker import RenderOutcome, _run


class TaskQueue(QObject):
    finished = Signal(object)  # RenderOutcome with kind = the task key
    _ready = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="e4s-task")
        self._ready.connect(self._emit, Qt.ConnectionType.QueuedConnection)
        self._count = 0
        self.pending = 0
        self._keys: Counter[str] = Counter()  # keys submitted and not finished

    def submit(self, key: str, job: Callable[[], object]) -> None:
        self._count += 1
        self.pending += 1
        self._keys[key] += 1
        number = self._count
        self._pool.submit(lambda: self._ready.emit(_run(job, number, key)))

    def has(self, key: str) -> bool:
        """A task with this key is queued or running."""
        return self._keys[key] > 0

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    @Slot(object)
    def _emit(self, outcome: RenderOutcome) -> None:
        self.pending -= 1
        self._keys[outcome.kind] -= 1
        self.finished.emit(outcome)
