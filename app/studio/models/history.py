"""Undo/redo as data: every user gesture is one edit that knows how to undo and redo itself.

The edits themselves (and how they are saved) are in ``edits.py``.
"""

from .edits import Edit
from .events import Event


class History:
    """A linear undo stack; a new edit after undos clears the redo side."""

    def __init__(self, limit: int = 500):
        self.limit = limit
        self._done: list[Edit] = []
        self._undone: list[Edit] = []
        self.changed = Event("history changed")  # after every push, undo and redo

    def push(self, edit: Edit) -> None:
        """Record an edit that has already been applied."""
        self._done.append(edit)
        self._undone.clear()
        if len(self._done) > self.limit:
            del self._done[0]
        self.changed.emit()

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    def undo(self) -> bool:
        if not self._done:
            return False
        edit = self._done.pop()
        edit.undo()
        self._undone.append(edit)
        self.changed.emit()
        return True

    def redo(self) -> bool:
        if not self._undone:
            return False
        edit = self._undone.pop()
        edit.redo()
        self._done.append(edit)
        self.changed.emit()
        return True

    def go_to(self, position: int) -> None:
        """Undo or redo until ``position`` edits are applied (the history strip's click)."""
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
    def edits(self) -> list[Edit]:
        """Applied edits, oldest first, then the undone ones in redo order."""
        return self._done + self._undone[::-1]
