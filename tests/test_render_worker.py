"""The render worker: newest request wins, stale results are dropped, errors come back as data."""

import logging
import threading
import time

import pytest

from app.studio.workers.render_worker import LatestJobRunner, RenderOutcome, RenderWorker
from e4s_core.errors import NoFaceError

WAIT = 5.0  # generous: only reached when something is broken


class Collector:
    def __init__(self) -> None:
        self.outcomes: list[RenderOutcome] = []
        self.busy_changes: list[bool] = []


@pytest.fixture
def collected():
    collector = Collector()
    runner = LatestJobRunner(collector.outcomes.append, collector.busy_changes.append)
    yield runner, collector
    runner.shutdown(WAIT)


def blocking_job(started: threading.Event, release: threading.Event, value):
    def job():
        started.set()
        assert release.wait(WAIT)
        return value

    return job


def test_only_the_running_and_the_newest_job_run_when_requests_pile_up(collected):
    runner, collector = collected
    started, release = threading.Event(), threading.Event()
    ran: list[int] = []
    runner.submit(lambda: ran.append(0) or blocking_job(started, release, 0)())
    assert started.wait(WAIT)
    for index in range(1, 6):
        runner.submit(lambda index=index: ran.append(index) or index)
    release.set()
    assert runner.wait_idle(WAIT)

    assert ran == [0, 5]
    # The first job's result is stale (newer jobs exist): only the newest is shown.
    assert [(o.generation, o.value) for o in collector.outcomes] == [(6, 5)]


def test_result_of_a_job_superseded_while_running_is_dropped(collected):
    runner, collector = collected
    started, release = threading.Event(), threading.Event()
    runner.submit(blocking_job(started, release, "old"), kind="preview")
    assert started.wait(WAIT)
    newest = runner.submit(lambda: "new", kind="full")
    release.set()
    assert runner.wait_idle(WAIT)
    assert [(o.generation, o.kind, o.value) for o in collector.outcomes] == [(newest, "full", "new")]


def test_outcome_carries_value_kind_and_duration(collected):
    runner, collector = collected
    generation = runner.submit(lambda: time.sleep(0.02) or "image", kind="preview")
    assert runner.wait_idle(WAIT)
    (outcome,) = collector.outcomes
    assert (outcome.generation, outcome.kind, outcome.value, outcome.error) == (
        generation,
        "preview",
        "image",
        None,
    )
    assert outcome.seconds >= 0.02


def test_generation_numbers_increase(collected):
    runner, _ = collected
    generations = [runner.submit(lambda: None) for _ in range(4)]
    assert generations == sorted(set(generations))
    assert runner.latest_generation == generations[-1]


def test_job_exception_comes_back_as_internal_error_and_worker_keeps_going(collected, caplog):
    runner, collector = collected

    def broken():
        raise ValueError("shapes [1, 12] and [1, 13] differ")

    with caplog.at_level(logging.ERROR, logger="app.render_worker"):
        runner.submit(broken)
        assert runner.wait_idle(WAIT)
    assert collector.outcomes[-1].value is None
    assert collector.outcomes[-1].error == "Internal error: ValueError: shapes [1, 12] and [1, 13] differ"
    assert any(record.exc_info for record in caplog.records)  # the traceback is logged

    runner.submit(lambda: "still alive")
    assert runner.wait_idle(WAIT)
    assert (collector.outcomes[-1].value, collector.outcomes[-1].error) == ("still alive", None)


def test_user_facing_error_message_is_passed_through_verbatim(collected):
    runner, collector = collected
    message = "No face found in photo.jpg — open a photo with one visible face"

    def no_face():
        raise NoFaceError(message)

    runner.submit(no_face)
    assert runner.wait_idle(WAIT)
    assert collector.outcomes[-1].error == message


def test_a_file_error_comes_back_as_what_failed_on_which_file(collected):
    runner, collector = collected

    def full_disk():
        raise OSError(28, "No space left on device", "/photos/out.png")

    runner.submit(full_disk)
    assert runner.wait_idle(WAIT)
    error = collector.outcomes[-1].error
    assert error.startswith("No space left on device (/photos/out.png).") and "Internal" not in error


def test_failing_result_callback_does_not_stop_the_worker():
    calls: list[RenderOutcome] = []

    def flaky(outcome: RenderOutcome) -> None:
        calls.append(outcome)
        if len(calls) == 1:
            raise RuntimeError("widget gone")

    runner = LatestJobRunner(flaky)
    try:
        runner.submit(lambda: 1)
        assert runner.wait_idle(WAIT)
        runner.submit(lambda: 2)
        assert runner.wait_idle(WAIT)
        assert [outcome.value for outcome in calls] == [1, 2]
    finally:
        runner.shutdown(WAIT)


def test_busy_covers_running_and_pending_jobs(collected):
    runner, collector = collected
    assert not runner.busy
    started, release = threading.Event(), threading.Event()
    runner.submit(blocking_job(started, release, None))
    assert started.wait(WAIT)
    assert runner.busy  # running
    runner.submit(lambda: None)
    assert runner.busy  # running and pending
    release.set()
    assert runner.wait_idle(WAIT)
    assert not runner.busy
    assert collector.busy_changes == [True, False]


def test_shutdown_drops_pending_job_and_joins_the_thread():
    outcomes: list[RenderOutcome] = []
    runner = LatestJobRunner(outcomes.append)
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []
    runner.submit(blocking_job(started, release, "running"))
    assert started.wait(WAIT)
    runner.submit(lambda: ran.append("pending"))
    release.set()
    runner.shutdown(WAIT)

    assert not runner.alive
    assert ran == []
    assert outcomes == []
    runner.shutdown(WAIT)  # idempotent
    with pytest.raises(RuntimeError):
        runner.submit(lambda: None)


def test_gui_thread_keeps_processing_events_while_a_slow_render_runs(qtbot):
    from PySide6.QtCore import QTimer

    worker = RenderWorker()
    ticks = 0
    seen: dict[str, object] = {}

    def tick() -> None:
        nonlocal ticks
        ticks += 1

    def on_finished(outcome: RenderOutcome) -> None:
        seen["in_gui_thread"] = threading.current_thread() is threading.main_thread()
        seen["ticks"] = ticks
        seen["outcome"] = outcome

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(tick)
    worker.finished.connect(on_finished)
    try:
        timer.start()
        with qtbot.waitSignal(worker.finished, timeout=5000):
            generation = worker.request(lambda: time.sleep(0.5) or "rendered")
        assert seen["in_gui_thread"] is True
        assert seen["ticks"] >= 5  # ~25 expected in 0.5 s; the event loop was never blocked
        assert seen["outcome"].generation == generation
        assert seen["outcome"].value == "rendered"
    finally:
        timer.stop()
        worker.shutdown()


def test_busy_changed_fires_in_gui_thread(qtbot):
    worker = RenderWorker()
    changes: list[tuple[bool, bool]] = []
    worker.busy_changed.connect(
        lambda busy: changes.append((busy, threading.current_thread() is threading.main_thread()))
    )
    try:
        with qtbot.waitSignal(worker.finished, timeout=5000):
            worker.request(lambda: time.sleep(0.05))
        qtbot.waitUntil(lambda: len(changes) == 2, timeout=5000)
        assert changes == [(True, True), (False, True)]
        assert not worker.busy
    finally:
        worker.shutdown()


def test_the_worker_is_not_idle_before_its_newest_result_has_been_delivered(qtbot):
    """Waiting for "not busy" must mean the newest result is in hand (tests and screenshots do)."""
    from PySide6.QtWidgets import QApplication

    worker = RenderWorker()
    delivered = []
    worker.finished.connect(lambda outcome: delivered.append(outcome.value))
    try:
        for number in range(50):
            worker.request(lambda n=number: n)
            deadline = time.monotonic() + 5
            while worker.busy and time.monotonic() < deadline:
                QApplication.processEvents()
            assert delivered and delivered[-1] == number
    finally:
        worker.shutdown()
