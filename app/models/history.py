"""Undo/redo as data: every user gesture is one command that knows how to undo and redo itself."""

from collections.abc import Callable
from typing import Protocol


class Command(Protocol):
    label: str  # what the history strip shows, e.g. "Brush: hair"

    def undo(self) -> None: ...

    def redo(self) -> None: ...


class History:
    """A linear undo stack; a new command after undos clears the redo side."""

    def __init__(self, limit: int = 500):
        self.limit = limit
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._listeners: list[Callable[[], None]] = []

    def add_listener(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    def push(self, command: Command) -> None:
        """Record a command that has already been applied."""
        self._done.append(command)
        self._undone.clear()
        if len(self._done) > self.limit:
            del self._done[0]
        self._changed()

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    def undo(self) -> bool:
        if not self._done:
            return False
        command = self._done.pop()
        command.undo()
        self._undone.append(command)
        self._changed()
        return True

    def redo(self) -> bool:
        if not self._undone:
            return False
        command = self._undone.pop()
        command.redo()
        self._done.append(command)
        self._changed()
        return True

    def go_to(self, position: int) -> None:
        """Undo or redo until ``position`` commands are applied (the history strip's click)."""
        if not 0 <= position <= len(self._done) + len(self._undone):
            raise IndexError(f"history position {position} out of range")
        while len(self._done) > position:
            self.undo()
        while len(self._done) < position:
            self.redo()

    @property
    def position(self) -> int:
        return len(self._done)

    @property
    def commands(self) -> list[Command]:
        """Applied commands, oldest first, then the undone ones in redo order."""
        return self._done + self._undone[::-1]
