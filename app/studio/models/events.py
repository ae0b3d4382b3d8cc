"""Events that Qt-free models emit and views listen to (in the style of napari's events).

    history.changed.connect(self.on_history)      # a bound method: held weakly
    history.changed.disconnect(self.on_history)
    history.changed.emit()                         # the model, after it changed

A bound method is held through a weak reference, so a listener that is gone (a closed view)
silently stops listening instead of being called or kept alive; plain functions are held
strongly. Listeners run in the order they connected, on the emitting thread.
"""

import weakref
from collections.abc import Callable
from typing import Any

Listener = Callable[..., Any]


class Event:
    def __init__(self, name: str = "") -> None:
        self.name = name  # for debugging: what this event says happened
        self._listeners: list[weakref.WeakMethod | Listener] = []

    def connect(self, listener: Listener) -> Listener:
        """Call ``listener(*args)`` on every ``emit(*args)``; connecting twice has no effect."""
        if not self._find(listener):
            self._listeners.append(weakref.WeakMethod(listener) if _is_bound(listener) else listener)
        return listener

    def disconnect(self, listener: Listener) -> None:
        """Stop calling ``listener``; a listener that is not connected is ignored."""
        self._listeners = [held for held in self._listeners if _resolve(held) != listener]

    def emit(self, *args: Any) -> None:
        self._listeners = [held for held in self._listeners if _resolve(held) is not None]
        for held in list(self._listeners):
            listener = _resolve(held)
            # One disconnected by an earlier listener of this emit, or gone meanwhile, is skipped.
            if listener is not None and any(held is kept for kept in self._listeners):
                listener(*args)

    def __len__(self) -> int:
        return sum(_resolve(held) is not None for held in self._listeners)

    def _find(self, listener: Listener) -> bool:
        return any(_resolve(held) == listener for held in self._listeners)


def _is_bound(listener: Listener) -> bool:
    return hasattr(listener, "__self__") and hasattr(listener, "__func__")


def _resolve(held: weakref.WeakMethod | Listener) -> Listener | None:
    return held() if isinstance(held, weakref.WeakMethod) else held
