"""The models' events: listeners connect, disconnect, and go away with their objects."""

import gc

from app.studio.models.canvas import LabelCanvas
from app.studio.models.events import Event
from app.studio.models.history import History
from e4s_core.synthetic_layout import ellipse_face_labels


class Listener:
    def __init__(self):
        self.calls = []

    def on_event(self, *args):
        self.calls.append(args)


def test_listeners_are_called_in_connection_order_with_the_arguments():
    event, calls = Event(), []
    event.connect(lambda value: calls.append(("first", value)))
    event.connect(lambda value: calls.append(("second", value)))
    event.emit(7)
    assert calls == [("first", 7), ("second", 7)]


def test_a_disconnected_listener_is_not_called_and_connecting_twice_calls_once():
    event, listener = Event(), Listener()
    event.connect(listener.on_event)
    event.connect(listener.on_event)
    event.emit(1)
    event.disconnect(listener.on_event)
    event.emit(2)
    event.disconnect(listener.on_event)  # not connected any more: ignored
    assert listener.calls == [(1,)]


def test_an_object_that_is_gone_stops_listening_and_is_not_kept_alive():
    event, listener = Event(), Listener()
    event.connect(listener.on_event)
    assert len(event) == 1
    del listener
    gc.collect()
    event.emit("after")  # no error, nobody called
    assert len(event) == 0


def test_a_listener_may_disconnect_itself_while_the_event_is_emitted():
    event, calls = Event(), []

    def once():
        calls.append("once")
        event.disconnect(once)

    event.connect(once)
    event.connect(lambda: calls.append("always"))
    event.emit()
    event.emit()
    assert calls == ["once", "always", "always"]


def test_history_and_canvas_announce_their_changes():
    history = History()
    canvas = LabelCanvas(ellipse_face_labels(64), history=history)
    boxes, positions = [], []
    canvas.changed.connect(boxes.append)
    history.changed.connect(lambda: positions.append(history.position))
    canvas.active_label = 4
    canvas.fill(0, 0)
    history.undo()
    assert positions == [1, 0]
    assert boxes[0] is None and boxes[-1] is not None  # the fill repaints all, undo its box


def test_a_listener_disconnected_by_an_earlier_one_is_not_called_in_the_same_emit():
    event, calls = Event(), []

    def second():
        calls.append("second")

    event.connect(lambda: event.disconnect(second))
    event.connect(second)
    event.emit()
    assert calls == []
