"""Render scheduling: nothing supersedes a running render; owed renders run preview first."""

import threading

from app.studio.workers.render_scheduler import RenderScheduler
from app.studio.workers.render_worker import RenderWorker


def test_renders_owed_while_busy_run_afterwards_preview_first(qtbot):
    worker = RenderWorker()
    ran, release = [], threading.Event()

    def make_job(preview: bool):
        kind = "preview" if preview else "full"
        return lambda: (release.wait(5) if not ran else None, ran.append(kind))

    scheduler = RenderScheduler(worker, make_job)
    delivered = []
    worker.finished.connect(lambda outcome: delivered.append(outcome.kind))
    assert scheduler.preview() is not None  # starts at once
    qtbot.waitUntil(lambda: worker.busy, timeout=2000)
    assert scheduler.full_now() is None and scheduler.preview() is None  # owed, not queued
    assert scheduler.pending
    release.set()
    qtbot.waitUntil(lambda: not scheduler.pending, timeout=5000)
    assert ran == ["preview", "preview", "full"]
    assert delivered == ["preview", "preview", "full"]  # nothing was superseded and dropped
    worker.shutdown()


def test_full_soon_waits_for_a_pause_and_stop_cancels_it(qtbot):
    worker = RenderWorker()
    ran = []
    scheduler = RenderScheduler(worker, lambda preview: lambda: ran.append(preview))
    scheduler.full_soon()
    scheduler.full_soon()  # a second change restarts the pause
    qtbot.waitUntil(lambda: ran == [False], timeout=3000)
    scheduler.full_soon()
    scheduler.stop()
    qtbot.wait(400)
    assert ran == [False] and scheduler.full_now() is None
    worker.shutdown()
